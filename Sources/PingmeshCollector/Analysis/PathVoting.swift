import PingmeshModel

/// Names the device or link behind a network incident from traceroutes of its pairs' 5-tuples,
/// after 007 (NSDI 2018): pair data names a tier, since a tier's devices are equal-cost paths
/// chosen per flow, but a traceroute that keeps a failing probe's 5-tuple follows the path that
/// probe took. Every failing path votes for the devices on it, and paths that got through clear
/// the links they crossed:
///
/// - **Paths that stop** (a black hole, a link down): the path goes dark right after its last
///   answering device. When every stopping path stops after the same device on its way to the
///   same ToR, and no path that got through crossed that hop, the link between them is named;
///   when they stop after the same device toward several ToRs (or that hop also carried traffic
///   that got through), the device is.
/// - **Paths that get through** (random drops: the trace's own probes mostly pass): the device
///   of the incident's tier that lies on every failing path, and on more of them than any other,
///   is named.
///
/// Anything less clear names nothing, and the incident keeps its tier, with the reason.
public struct PathVoting: Sendable {
    /// One traced 5-tuple.
    public struct Trace: Sendable, Hashable {
        public var source: String
        public var destination: String
        /// Device names (or addresses, where the fabric description names none) in TTL order,
        /// nil where no hop answered; without the destination itself.
        public var hops: [String?]
        public var reachedDestination: Bool
        /// The 5-tuple lost a probe, or the trace itself did not get through.
        public var failing: Bool

        public init(source: String, destination: String, hops: [String?], reachedDestination: Bool, failing: Bool) {
            self.source = source
            self.destination = destination
            self.hops = hops
            self.reachedDestination = reachedDestination
            self.failing = failing || !reachedDestination
        }

        /// The last device that answered before the path went dark.
        var lastAnswering: String? { hops.last { $0 != nil } ?? nil }
    }

    /// What the votes name. In JSON `{"device": "spine1"}` or `{"link": ["spine2", "tor3"]}`.
    public enum Culprit: Sendable, Hashable, Codable, CustomStringConvertible {
        case device(String)
        /// The link from the first device to the second (as the failing paths crossed it).
        case link(String, String)

        public var description: String {
            switch self {
            case .device(let name): name
            case .link(let from, let to): "link \(from) - \(to)"
            }
        }

        enum CodingKeys: String, CodingKey { case device, link }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let name = try container.decodeIfPresent(String.self, forKey: .device) {
                self = .device(name)
                return
            }
            let ends = try container.decode([String].self, forKey: .link)
            guard ends.count == 2 else {
                throw DecodingError.dataCorruptedError(forKey: .link, in: container, debugDescription: "a link has two ends, not \(ends.count)")
            }
            self = .link(ends[0], ends[1])
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .device(let name): try container.encode(name, forKey: .device)
            case .link(let from, let to): try container.encode([from, to], forKey: .link)
            }
        }
    }

    /// The outcome of a vote.
    public struct Verdict: Sendable, Hashable, Codable {
        public var culprit: Culprit
        /// Failing paths, and how many of them the culprit explains.
        public var failingPaths: Int
        public var explained: Int
        public var explanation: String

        enum CodingKeys: String, CodingKey {
            case culprit, explanation
            case failingPaths = "failing_paths"
            case explained
        }
    }

    /// The fabric's devices (for their tiers); may name none.
    public var fabric: FabricDescription
    /// Each server's ToR as the traces name it: the device a path toward the server enters last.
    public var torOfServer: [String: String]

    public init(fabric: FabricDescription, torOfServer: [String: String]) {
        self.fabric = fabric
        self.torOfServer = torOfServer
    }

    /// The culprit the traces name, if one device or link explains the failing paths; `tier`
    /// (the tier pair data named, if any) narrows the vote of paths that got through to its
    /// devices.
    public func verdict(_ traces: [Trace], tier: FabricDescription.Tier? = nil) -> Verdict? {
        let failing = traces.filter(\.failing)
        guard !failing.isEmpty else { return nil }
        let stopped = failing.filter { !$0.reachedDestination && $0.lastAnswering != nil }
        if stopped.count * 2 > failing.count {
            return stopVerdict(stopped, failing: failing.count, working: traces.filter { !$0.failing })
        }
        return dropVerdict(failing.filter(\.reachedDestination), all: traces, failing: failing.count, tier: tier)
    }

    /// Where the stopping paths go dark: after one device, toward one ToR or several. Each
    /// stopping path votes for the hop after its last answering device (where the fabric fixes
    /// it) and for that device; a hop some path got through is cleared. A lost answer makes a
    /// path look dark too (a time-exceeded message or SYN-ACK sent back over the broken hop), so
    /// the culprit needs the most votes, not all: at least two in five stopping paths.
    private func stopVerdict(_ stopped: [Trace], failing: Int, working: [Trace]) -> Verdict? {
        struct Hop: Hashable, Comparable {
            var from: String
            var to: String
            static func < (a: Hop, b: Hop) -> Bool { (a.from, a.to) < (b.from, b.to) }
        }
        var hops: [Hop: Int] = [:]
        var devices: [String: Int] = [:]
        var toward: [String: Set<String>] = [:]
        for trace in stopped {
            guard let last = trace.lastAnswering else { continue }
            devices[last, default: 0] += 1
            let next = next(after: last, from: trace.source, toward: trace.destination)
            toward[last, default: []].insert(next ?? "its uplinks")
            if let next { hops[Hop(from: last, to: next), default: 0] += 1 }
        }
        func best<Key: Hashable & Comparable>(_ votes: [Key: Int]) -> (key: Key, votes: Int)? {
            let ranked = votes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            guard let top = ranked.first, (ranked.dropFirst().first?.value ?? 0) < top.value, top.value * 5 >= stopped.count * 2 else { return nil }
            return (top.key, top.value)
        }
        let open = hops.filter { !crossed(from: $0.key.from, to: $0.key.to, in: working) }
        // Every path that went dark after that device was headed over that one hop.
        if let (hop, votes) = best(open), devices[hop.from] == votes {
            return Verdict(
                culprit: .link(hop.from, hop.to), failingPaths: failing, explained: votes,
                explanation:
                    "\(votes) of \(failing) failing paths go dark right after \(hop.from) on the way to \(hop.to), and no path that got through crossed that hop: the link \(hop.from) - \(hop.to)"
            )
        }
        guard let device = best(devices) else { return nil }
        let nexts = (toward[device.key] ?? []).sorted().joined(separator: ", ")
        return Verdict(
            culprit: .device(device.key), failingPaths: failing, explained: device.votes,
            explanation: (toward[device.key]?.count ?? 0) > 1 || nexts == "its uplinks"
                ? "\(device.votes) of \(failing) failing paths go dark right after \(device.key), toward \(nexts): \(device.key) drops them"
                : "\(device.votes) of \(failing) failing paths go dark right after \(device.key) toward \(nexts), a hop other 5-tuples got through: \(device.key) drops some flows"
        )
    }

    /// Failing paths a device must be on before random drops name it.
    static let minimumDropVotes = 3

    /// The device of `tier` that the paths which lost packets but got through crossed more than
    /// any other, and more than its fair share. A lost SYN-ACK fails a 5-tuple whose forward path
    /// (the one a traceroute follows) may have crossed another device of the tier: with k equal
    /// devices, a dropping one is on (k + 1) / 2k of the failing forward paths (three in four of
    /// two spines), each other on 1 / 2k, against 1 / k of all paths. So the culprit need not be
    /// on every failing path; it must be on at least three, on more than any other device, and
    /// on more than 1 / k of them (k counted among the devices of the tier every trace crossed).
    private func dropVerdict(_ reached: [Trace], all: [Trace], failing: Int, tier: FabricDescription.Tier?) -> Verdict? {
        guard !reached.isEmpty else { return nil }
        var votes: [String: Int] = [:]
        for trace in reached {
            for device in Set(trace.hops.compactMap { $0 }) where inTier(device, tier) { votes[device, default: 0] += 1 }
        }
        let peers = Set(all.flatMap { $0.hops.compactMap { $0 } }.filter { inTier($0, tier) }).count
        let ranked = votes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        guard let top = ranked.first, top.value >= Self.minimumDropVotes, (ranked.dropFirst().first?.value ?? 0) < top.value,
            top.value * max(peers, 1) > reached.count
        else { return nil }
        return Verdict(
            culprit: .device(top.key), failingPaths: failing, explained: top.value,
            explanation:
                "\(top.value) of the \(reached.count) traced 5-tuples that lost packets but got through crossed \(top.key), more than any other of the \(peers) \(tier.map { "\($0.rawValue)s" } ?? "devices") the traces crossed and more than its share"
        )
    }

    /// Whether `device` is of `tier`; any device when no tier is asked or the fabric does not say.
    private func inTier(_ device: String, _ tier: FabricDescription.Tier?) -> Bool {
        guard let tier else { return true }
        guard let described = fabric.device(named: device) else { return fabric.devices.isEmpty }
        return described.tier == tier
    }

    /// The hop a path from `source` toward `destination` takes after `device`, where the fabric
    /// fixes it: the server itself after its ToR, the destination's ToR after the tier right
    /// above the ToRs (the spines of two tiers, the leaves of three). Nil where ECMP chooses:
    /// after the source's ToR, or after the spines of three tiers.
    private func next(after device: String, from source: String, toward destination: String) -> String? {
        let tor = torOfServer[destination]
        if device == tor { return destination }
        if device == torOfServer[source] { return nil }
        switch fabric.device(named: device)?.tier {
        case .tor?: return nil
        case .spine? where fabric.shape == .threeTier: return nil
        default: return tor ?? destination
        }
    }

    /// Whether some path crossed `from` and then `to` (or reached `to` as its destination's ToR).
    private func crossed(from: String, to: String, in traces: [Trace]) -> Bool {
        traces.contains { trace in
            let hops = trace.hops.compactMap { $0 }
            if let index = hops.firstIndex(of: from) {
                if index + 1 < hops.count { return hops[index + 1] == to }
                return trace.reachedDestination && (trace.destination == to || torOfServer[trace.destination] == to)
            }
            return false
        }
    }
}

extension PathVoting {
    /// A vote over the servers' placements: each server's ToR is its `tor` label (or `pod`).
    public init(fabric: FabricDescription, placements: [String: [String: String]]) {
        self.init(fabric: fabric, torOfServer: placements.compactMapValues { $0["tor"] ?? $0["pod"] })
    }

    /// The vote over an incident's traceroutes: hops named by the fabric's interface addresses,
    /// the destination's own answer left out, and the tier pair data named narrowing the vote.
    public func verdict(_ traceroutes: [IncidentTraceroute], for component: FabricComponent) -> Verdict? {
        let names = fabric.deviceByAddress
        let traces = traceroutes.compactMap { route -> Trace? in
            guard route.error == nil, let reached = route.reachedDestination else { return nil }
            var hops = route.hops.map { address in address.map { names[$0] ?? $0 } }
            if reached, !hops.isEmpty { hops.removeLast() }
            return Trace(source: route.source, destination: route.destination, hops: hops, reachedDestination: reached, failing: route.failing)
        }
        return verdict(traces, tier: component.tier)
    }
}
