import Foundation
import NIOCore
import NIOPosix
import PingmeshModel
import PingmeshProbe
import Synchronization

/// A probe an operator runs by hand, from this host: `pingmesh probe`, and the collector's
/// `POST /v1/probe` (its web UI's probe form). The target is checked with a pinglist's rules, so
/// a bad one gets the same message it would in a pinglist.
public final class ManualProbe: ManualProbing {
    /// Requests running at once; more wait for none and are refused, so a form cannot become a flood.
    public let maximumConcurrent: Int
    public let interval: Duration
    public let timeout: Duration
    private let running = Mutex(0)

    /// The local address probes leave from (an agent's `--source-address`); nil lets the kernel choose.
    public let sourceAddress: String?

    public init(maximumConcurrent: Int = 4, interval: Duration = .seconds(1), timeout: Duration = .seconds(2), sourceAddress: String? = nil) {
        self.sourceAddress = sourceAddress
        self.maximumConcurrent = maximumConcurrent
        self.interval = interval
        self.timeout = timeout
    }

    /// The prober for `kind`; ICMP throws when neither a ping socket nor a raw socket can be opened.
    public static func prober(for kind: ProbeKind) throws -> any Prober {
        switch kind {
        case .udp: return UDPProber()
        case .icmp: return try ICMPProber.make()
        case .http: return HTTPProber()
        case .dns: return DNSProber()
        case .ntp: return NTPProber()
        default: return EpollTCPProber.shared ?? TCPProber(group: MultiThreadedEventLoopGroup.singleton)
        }
    }

    /// One target as a one-target pinglist, validated as a pinglist is. An http target may be a
    /// URL; `http` options are laid over what the URL says.
    public static func pinglist(
        kind: String, target: String, timeout: Duration, delay: Duration = .milliseconds(10), payloadBytes: Int = 0,
        sourceAddress: String? = nil, ipProtocol: IPProtocolPreference? = nil, http: HTTPProbeOptionsFile? = nil, dns: DNSOptionsFile? = nil
    ) throws -> Pinglist {
        guard let probeKind = ProbeKind(rawValue: kind) else {
            throw ManualProbeError("kind: '\(kind)' is not a probe kind (\(Agent.probeKinds.map(\.rawValue).sorted().joined(separator: ", ")))")
        }
        guard Agent.probeKinds.contains(probeKind) else {
            throw ManualProbeError("kind: \(kind) probes are not available yet; \(Agent.probeKinds.map(\.rawValue).sorted().joined(separator: ", ")) are")
        }
        var entry = try targetFile(target, kind: probeKind)
        if let http { entry.http = http.overriding(entry.http) }
        var file = PinglistFile(
            settings: PinglistSettingsFile(
                interval: ConfigDuration(SafetyLimits.minimumPairInterval), timeout: ConfigDuration(timeout), delay: ConfigDuration(delay),
                payloadBytes: payloadBytes, sourceAddress: sourceAddress, ipProtocol: ipProtocol),
            groups: [TargetGroupFile(name: "manual", kind: probeKind, targets: [entry])])
        file.groups[0].dns = dns
        return try file.validated(file: "manual probe", contentVersion: "manual")
    }

    private static func targetFile(_ target: String, kind: ProbeKind) throws -> TargetFile {
        if TargetFile.isURL(target) {
            guard kind == .http else { throw ManualProbeError("target: '\(target)' is a URL, which only http probes take") }
            do {
                return try TargetFile(url: target)
            } catch let DecodingError.dataCorrupted(context) {
                throw ManualProbeError("target: \(context.debugDescription)")
            }
        }
        guard let (host, port) = HostPort.split(target), port != nil || kind.hasWellKnownPort else {
            throw ManualProbeError("target: '\(target)' is not HOST:PORT or [IPv6]:PORT\(kind == .http ? " or an http(s):// URL" : "")")
        }
        return TargetFile(address: host, port: port)
    }

    public func probe(_ request: ManualProbeRequest) async throws -> ManualProbeReport {
        let count = request.count ?? 3
        if let issue = request.validationIssues().first { throw ManualProbeError(issue.description) }
        let pinglist = try Self.pinglist(
            kind: request.kind, target: request.target, timeout: timeout, payloadBytes: request.size ?? 0, sourceAddress: sourceAddress,
            dns: request.dns)
        let run = try await run(pinglist, count: count, sourcePorts: request.sourcePorts ?? [])
        return ManualProbeReport(kind: pinglist.targets.first?.kind.rawValue ?? request.kind, target: request.target, results: run.results)
    }

    /// What one manual run found: the results, the address probed (nil when the name did not
    /// resolve) and how long resolving the name took (nil for a literal address).
    public struct Run: Sendable {
        public var results: [ManualProbeReport.Probe]
        public var address: SocketAddress?
        public var resolveTime: Duration?
    }

    /// Probes the one target of `pinglist` `count` times, `interval` apart, rotating over
    /// `sourcePorts`; throws (naming the field) when it cannot be probed or too many run. A host
    /// name without an address is one `unresolved` result, as the scheduler records it.
    public func run(_ pinglist: Pinglist, count: Int, sourcePorts: [Int] = []) async throws -> Run {
        let resolved = await TargetResolver(supportedKinds: Agent.probeKinds).resolve(pinglist)
        if let unresolved = resolved.unresolved.first {
            return Run(
                results: [.init(seq: 1, result: .unresolved, rttMs: nil, detail: unresolved.unresolvedReason)], address: nil,
                resolveTime: unresolved.resolveTime)
        }
        guard let scheduled = resolved.targets.first else {
            throw ManualProbeError("target: \(resolved.skipped.first?.reason ?? "cannot be probed")")
        }
        let admitted = running.withLock { running in
            guard running < maximumConcurrent else { return false }
            running += 1
            return true
        }
        guard admitted else { throw ManualProbeError("busy: \(maximumConcurrent) manual probes are running; try again shortly", busy: true) }
        defer { running.withLock { $0 -= 1 } }

        let prober: any Prober
        do {
            prober = try Self.prober(for: scheduled.target.kind)
        } catch {
            throw ManualProbeError("kind: \(scheduled.target.kind.rawValue) cannot be probed from this host: \(error)")
        }
        var ports = SourcePortRotation()
        ports.update(ports: sourcePorts, targets: [scheduled.id])
        let source = pinglist.settings.sourceAddress.flatMap { try? SocketAddress(ipAddress: $0, port: 0) }
        var results: [ManualProbeReport.Probe] = []
        for sequence in 1...count {
            if sequence > 1 { try await Task.sleep(for: interval) }
            // Every option of the entry: an https URL's scheme and an http target's checks too.
            let outcome = await prober.probe(scheduled.request(sourceAddress: ports.next(for: scheduled, source: source)))
            results.append(.init(seq: sequence, result: outcome.result, rttMs: outcome.rtt.map { $0.seconds * 1000 }, detail: outcome.detail))
        }
        if let icmp = prober as? ICMPProber { icmp.shutdown() }
        if let udp = prober as? UDPProber { await udp.shutdown() }
        return Run(results: results, address: scheduled.address, resolveTime: scheduled.resolveTime)
    }
}
