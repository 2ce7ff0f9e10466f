import Foundation
import PingmeshModel
import PingmeshProbe
import Synchronization

/// The faults of `pingmesh up`'s simulated data center, applied where loopback lets them be:
/// in each simulated agent's probes (a probe whose path crosses a faulty component is dropped or
/// delayed) and in its recording (a server that is down reports nothing). Every path is decided
/// from the placement the topology gives, as the analysis reasons about it.
public final class FaultInjector: SimulatedFaultControl, Sendable {
    /// What a fault does to one probe.
    public enum Effect: Sendable, Equatable {
        case pass
        case drop
        case delay(Duration)
    }

    private struct State {
        var faults: [SimulatedFault] = []
        var nextID = 1
    }

    public let mesh: SimulatedMesh
    private let serverByName: [String: SimulatedMesh.Server]
    private let serverByAddress: [String: SimulatedMesh.Server]
    private let state = Mutex(State())
    private let now: @Sendable () -> Int64

    public init(mesh: SimulatedMesh, now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.mesh = mesh
        self.now = now
        serverByName = Dictionary(uniqueKeysWithValues: mesh.servers.map { ($0.name, $0) })
        serverByAddress = Dictionary(uniqueKeysWithValues: mesh.servers.map { ($0.address, $0) })
    }

    // MARK: SimulatedFaultControl

    public var faults: [SimulatedFault] { state.withLock { $0.faults } }

    public var targets: SimulatedFaultTargets {
        let datacenters = Self.unique(mesh.servers.map(\.datacenterName))
        return SimulatedFaultTargets(
            servers: mesh.servers.map(\.name),
            tors: Self.unique(mesh.servers.map(\.torName)),
            podsets: Self.unique(mesh.servers.map(\.podsetName)),
            datacenters: datacenters,
            links: datacenters.flatMap { a in datacenters.filter { $0 > a }.map { "\(a)-\($0)" } }, sourcePorts: mesh.sourcePorts)
    }

    public func inject(_ request: SimulatedFaultRequest) throws(SimulatedFaultError) -> SimulatedFault {
        guard let kind = SimulatedFault.Kind(rawValue: request.kind) else {
            throw SimulatedFaultError(
                "kind: '\(request.kind)' is not one of \(SimulatedFault.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let targets = self.targets
        let allowed: [String] =
            switch kind {
            case .serverDown: targets.servers
            case .torDown, .blackHole, .portBlackHole: targets.tors
            case .drops, .latency: targets.servers + targets.tors + targets.podsets + targets.datacenters + targets.links
            }
        guard allowed.contains(request.target) else {
            let what =
                switch kind {
                case .serverDown: "a simulated server (e.g. \(targets.servers.first ?? "sim-000"))"
                case .torDown, .blackHole, .portBlackHole: "a ToR (e.g. \(targets.tors.first ?? "dc1-tor1"))"
                case .drops, .latency: "a server, ToR, podset (its leaves), data center (its spines) or link such as dc1-dc2"
                }
            throw SimulatedFaultError("target: '\(request.target)' is not \(what)")
        }
        var fault = SimulatedFault(id: "", kind: kind, target: request.target, since: now())
        switch kind {
        case .serverDown, .torDown: break
        case .blackHole:
            let share = request.share ?? 0.5
            guard share > 0, share <= 1 else { throw SimulatedFaultError("share: \(share) is outside (0, 1]") }
            fault.share = share
        case .portBlackHole:
            let port = request.port ?? mesh.sourcePorts.first ?? 0
            guard mesh.sourcePorts.contains(port) else {
                throw SimulatedFaultError("port: \(port) is not one of the source ports probes rotate over (\(mesh.sourcePorts.map(String.init).joined(separator: ", ")))")
            }
            fault.port = port
        case .drops:
            let rate = request.rate ?? 0.2
            guard rate > 0, rate <= 1 else { throw SimulatedFaultError("rate: \(rate) is outside (0, 1]") }
            fault.rate = rate
        case .latency:
            let added = request.latencyMs ?? 10
            guard added > 0, added <= 10_000 else { throw SimulatedFaultError("latency_ms: \(added) is outside (0, 10000]") }
            fault.latencyMs = added
        }
        return state.withLock { state in
            fault.id = "f\(state.nextID)"
            state.nextID += 1
            state.faults.append(fault)
            return fault
        }
    }

    public func clear(id: String) -> Bool {
        state.withLock { state in
            let before = state.faults.count
            state.faults.removeAll { $0.id == id }
            return state.faults.count < before
        }
    }

    public func clearAll() { state.withLock { $0.faults.removeAll() } }

    // MARK: Effects

    /// Whether `agent`'s server is down (itself, or its ToR): it then neither answers nor reports.
    public func isDown(agent: String) -> Bool {
        guard let server = serverByName[agent] else { return false }
        return isDown(server, faults: faults)
    }

    /// What the active faults do to a probe from `agent` to `address` (leaving from `sourcePort`).
    /// Random drops draw from the system generator: each probe is its own trial, as each packet
    /// is on a lossy link.
    public func effect(from agent: String, to address: String, sourcePort: Int? = nil) -> Effect {
        guard let source = serverByName[agent], let destination = serverByAddress[address] else { return .pass }
        let faults = self.faults
        guard !faults.isEmpty else { return .pass }
        if isDown(source, faults: faults) || isDown(destination, faults: faults) { return .drop }
        var delay = Duration.zero
        for fault in faults where crosses(source, destination, fault.target) {
            switch fault.kind {
            case .serverDown, .torDown: break
            case .blackHole:
                // A black hole keys on the IP pair, so the same pairs fail window after window.
                if StableHash.uniform(Self.ipPair(source, destination)) < fault.share ?? 0 { return .drop }
            case .portBlackHole:
                // One ECMP path (the source port's) of half the IP pairs: their other ports get through.
                if sourcePort == fault.port, StableHash.uniform(Self.ipPair(source, destination) + "|port") < 0.5 { return .drop }
            case .drops:
                if Double.random(in: 0..<1) < (fault.rate ?? 0) { return .drop }
            case .latency:
                delay += .microseconds(Int64((fault.latencyMs ?? 0) * 1000))
            }
        }
        return delay > .zero ? .delay(delay) : .pass
    }

    private static func ipPair(_ a: SimulatedMesh.Server, _ b: SimulatedMesh.Server) -> String {
        "\(min(a.address, b.address))|\(max(a.address, b.address))"
    }

    /// A prober for `agent` whose probes suffer the active faults.
    public func prober(_ inner: any Prober, agent: String) -> any Prober {
        FaultInjectingProber(inner: inner, agent: agent, injector: self)
    }

    private func isDown(_ server: SimulatedMesh.Server, faults: [SimulatedFault]) -> Bool {
        faults.contains { fault in
            switch fault.kind {
            case .serverDown: fault.target == server.name
            case .torDown: fault.target == server.torName
            default: false
            }
        }
    }

    /// Whether the path from `source` to `destination` runs through `target`: a server's link,
    /// a ToR, a podset's leaves (between ToRs), a data center's spines (between podsets), or a
    /// link between two data centers.
    private func crosses(_ source: SimulatedMesh.Server, _ destination: SimulatedMesh.Server, _ target: String) -> Bool {
        if target == source.name || target == destination.name { return true }
        if target == source.torName || target == destination.torName { return true }
        let sameToR = source.torName == destination.torName
        if !sameToR, target == source.podsetName || target == destination.podsetName { return true }
        let samePodset = source.podsetName == destination.podsetName
        let (a, b) = (source.datacenterName, destination.datacenterName)
        if !samePodset, target == a || target == b { return true }
        return a != b && (target == "\(a)-\(b)" || target == "\(b)-\(a)")
    }

    private static func unique(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}

/// A simulated agent's prober with the injected faults on its paths: a dropped probe times out
/// as a lost SYN or datagram would; a delayed one answers late.
struct FaultInjectingProber: Prober {
    let inner: any Prober
    let agent: String
    let injector: FaultInjector

    var kind: ProbeKind { inner.kind }

    func probe(_ request: ProbeRequest) async -> ProbeOutcome {
        switch injector.effect(from: agent, to: request.address.ipAddress ?? "", sourcePort: request.sourceAddress?.port) {
        case .pass:
            return await inner.probe(request)
        case .drop:
            try? await Task.sleep(for: request.timeout)
            var outcome = ProbeOutcome(result: .timeout, detail: "dropped by an injected fault")
            // A lost probe still left from its port: the per-port counts must see it.
            outcome.sourcePort = request.sourceAddress?.port.flatMap { $0 == 0 ? nil : $0 }
            return outcome
        case .delay(let added):
            var outcome = await inner.probe(request)
            try? await Task.sleep(for: added)
            guard let rtt = outcome.rtt, !outcome.result.isFailure else { return outcome }
            let delayed = rtt + added
            outcome.rtt = delayed
            if outcome.result == .ok, delayed > request.delay { outcome.result = .slow }
            return outcome
        }
    }
}
