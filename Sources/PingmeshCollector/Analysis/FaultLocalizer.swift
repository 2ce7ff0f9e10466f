/// Names what is wrong in one window, after Pingmesh section 5 and the tomography that followed
/// it (007, NetBouncer), in three steps:
///
/// 1. **Servers before the network.** A server whose agent is silent and that nobody reaches is
///    down; when that is every server under one ToR, the ToR is. A server that reports but that
///    nobody reaches is its own host or ToR port. Their pairs say nothing about the fabric and
///    leave the analysis.
/// 2. **Candidates.** Every remaining pair's probes are charged to each component on its path
///    (`FabricModel.path`). Components whose loss (or share of pairs above the latency SLA) is
///    both above the SLA and far above what background loss would give are candidates.
/// 3. **Which candidate.** Neighbouring components share most of their pairs, so a faulty leaf
///    tier makes every ToR below it look lossy too. Candidates meet in pairs: each is judged on
///    the pairs it has and the other has not. A fault shows on a component's own pairs; a
///    bystander's own pairs are clean. The candidate that wins most meetings is named; its
///    pairs are set aside and the rest analysed again, so several faults can be named.
public struct FaultLocalizer: Sendable {
    public struct Settings: Sendable {
        /// Loss ratio above which a component violates its SLA (Pingmesh: 1e-3).
        public var lossSLA: Double = 1e-3
        /// P99 above which a pair violates its latency SLA (Pingmesh: 5 ms).
        public var latencySLAMicroseconds: UInt32 = 5_000
        /// Loss a healthy fabric may show; evidence must stand well above it.
        public var backgroundLoss: Double = 1e-4
        /// Fewest lost probes (or slow pairs) that can make a candidate.
        public var minimumBad: Int = 5
        /// Inbound loss above which a server counts as unreachable.
        public var unreachableLoss: Double = 0.9
        /// Fewest inbound probes to call a server unreachable.
        public var minimumInboundProbes: Int = 4
        /// Share of a component's pairs above the latency SLA that makes it a latency candidate.
        public var latencyShare: Double = 0.05
        /// Candidates that meet each other (at most 16).
        public var candidates: Int = 8
        /// Network findings per window, per kind of evidence (loss, latency).
        public var maximumFindings: Int = 3

        public init() {}
    }

    public var settings: Settings

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// Findings for one window: servers first, then the network, most certain first.
    public func analyze(_ evidence: WindowEvidence) -> [Finding] {
        let fabric = evidence.fabric
        var findings: [Finding] = []
        var excluded = [Bool](repeating: false, count: fabric.servers.count)
        findings += serverFindings(evidence, excluded: &excluded)
        let pairs = evidence.pairs.filter { !excluded[Int($0.source)] && !excluded[Int($0.destination)] }
        for measure in [Measure.loss, .latency] {
            var remaining = pairs
            for _ in 0..<settings.maximumFindings {
                guard let (finding, named) = locate(measure, pairs: remaining, fabric: fabric) else { break }
                findings.append(finding)
                var path: (Int32, Int32, Int32, Int32, Int32, Int32, Int32) = (0, 0, 0, 0, 0, 0, 0)
                remaining.removeAll { pair in
                    switch named {
                    case .server(let server): return pair.source == server || pair.destination == server
                    case .component(let component):
                        let count = fabric.path(from: pair.source, to: pair.destination, into: &path)
                        return Self.contains(path, count, component)
                    }
                }
            }
        }
        return findings
    }

    // MARK: Servers

    private func serverFindings(_ evidence: WindowEvidence, excluded: inout [Bool]) -> [Finding] {
        let fabric = evidence.fabric
        var inboundSent = [UInt64](repeating: 0, count: fabric.servers.count)
        var inboundLost = [UInt64](repeating: 0, count: fabric.servers.count)
        var inboundPeers = [Int](repeating: 0, count: fabric.servers.count)
        var inboundLossyPeers = [Int](repeating: 0, count: fabric.servers.count)
        var outboundLost = [UInt64](repeating: 0, count: fabric.servers.count)
        for pair in evidence.pairs {
            inboundSent[Int(pair.destination)] += UInt64(pair.sent)
            inboundLost[Int(pair.destination)] += UInt64(pair.lost)
            outboundLost[Int(pair.source)] += UInt64(pair.lost)
            guard pair.sent > 0 else { continue }
            inboundPeers[Int(pair.destination)] += 1
            if pair.lost > 0 { inboundLossyPeers[Int(pair.destination)] += 1 }
        }
        func unreachable(_ server: Int32) -> Bool {
            let sent = inboundSent[Int(server)]
            return sent >= UInt64(settings.minimumInboundProbes) && Double(inboundLost[Int(server)]) >= settings.unreachableLoss * Double(sent)
        }
        func reporting(_ server: Int32) -> Bool { Int(server) < evidence.reporting.count && evidence.reporting[Int(server)] }
        // A server that goes down in the middle of a window is reached for part of it: every
        // peer loses the probes after that moment (a share of the window, below the unreachable
        // mark), while its own probes, sent before it went, got through (or never arrived: its
        // agent went silent). A network fault near it makes some peers lossy, not all, or its
        // own probes too. One dead server explains all of its lost pairs, so none of them may
        // name a component of the network.
        func wentDown(_ server: Int32) -> Bool {
            let index = Int(server)
            return inboundPeers[index] >= 2 && inboundLossyPeers[index] == inboundPeers[index]
                && inboundLost[index] * 4 >= inboundSent[index] && (!reporting(server) || outboundLost[index] == 0)
        }
        func figures(_ server: Int32) -> String { "\(inboundLost[Int(server)]) of \(inboundSent[Int(server)]) probes to it lost" }

        var findings: [Finding] = []
        for (tor, servers) in fabric.torServers.enumerated() {
            // Everything unreachable under one ToR is the ToR, whether or not the agents still
            // report (the minute a ToR fails in, they reported before it did).
            let unreached = servers.filter { unreachable($0) || wentDown($0) }
            let component = fabric.component(Int32(tor))
            if servers.count >= 2 && unreached.count == servers.count {
                unreached.forEach { excluded[Int($0)] = true }
                let silent = unreached.filter { !reporting($0) }.count
                findings.append(
                    Finding(
                        kind: .torDown, component: component, confidence: silent == servers.count ? 0.95 : 0.85, badPairs: 0, pairs: 0, ratio: 1,
                        examples: unreached.prefix(5).map { "\(fabric.servers[Int($0)].name): \(reporting($0) ? "reporting" : "silent"), \(figures($0))" },
                        explanation: silent == servers.count
                            ? "every one of its \(servers.count) servers is silent and unreachable: the ToR (or its power or uplinks), not the servers"
                            : "every one of its \(servers.count) servers is unreachable (\(silent) silent): the ToR, not the servers"))
                continue
            }
            for server in servers {
                let (silent, unreached) = (!reporting(server), unreachable(server))
                // Whose fault, when it is one server's: silent and unreachable is the server;
                // reporting but unreachable, its host stack or ToR port; silent but answering,
                // its agent.
                let verdict: (Finding.Kind, Double, String)? =
                    switch (silent, unreached) {
                    case (_, false) where wentDown(server):
                        (
                            .serverDown, 0.7,
                            "every one of its \(inboundPeers[Int(server)]) peers lost probes to it from some moment of the window on, while its own probes got through\(silent ? " (its agent is silent)" : ""): the server went down, not the network"
                        )
                    case (true, true):
                        (.serverDown, 0.9, "its agent is silent and nobody reaches it while its ToR's other servers are fine: the server is down, not the network")
                    case (false, true): (.serverUnreachable, 0.8, "its agent reports but nobody reaches it: its host network stack, NIC or ToR port")
                    case (true, false) where inboundSent[Int(server)] > 0:
                        (.agentSilent, 0.7, "it answers probes but its agent uploads nothing: the agent, not the network")
                    default: nil
                    }
                guard let (kind, confidence, explanation) = verdict else { continue }
                if unreached || kind == .serverDown { excluded[Int(server)] = true }
                findings.append(
                    Finding(
                        kind: kind, component: .server(name: fabric.servers[Int(server)].name), confidence: confidence, badPairs: 0, pairs: 0,
                        ratio: unreached ? 1 : 0, examples: [figures(server)], explanation: explanation))
            }
        }
        return findings
    }

    // MARK: The network

    enum Measure { case loss, latency }

    /// What a network finding names, and so which pairs it sets aside: those through a component,
    /// or those with a server at one end.
    enum Named {
        case component(Int32)
        case server(Int32)
    }

    /// Per component: probes and pairs through it, and how many of them look bad.
    private struct Tally {
        var sent: UInt64 = 0
        var lost: UInt64 = 0
        var pairs: Int = 0
        var slowPairs: Int = 0
        var lossyPairs: Int = 0
        var allLostPairs: Int = 0
        var portBlackholedPairs: Int = 0

        mutating func add(_ pair: PairObservation, slow: Bool) {
            sent += UInt64(pair.sent)
            lost += UInt64(pair.lost)
            pairs += 1
            if slow { slowPairs += 1 }
            if pair.lost > 0 {
                lossyPairs += 1
                if pair.lost == pair.sent && pair.sent >= 2 { allLostPairs += 1 }
                if pair.blackholedPorts > 0 && pair.lost < pair.sent { portBlackholedPairs += 1 }
            }
        }
    }

    private func bad(_ tally: Tally, _ measure: Measure) -> (bad: Double, total: Double) {
        switch measure {
        case .loss: (Double(tally.lost), Double(tally.sent))
        case .latency: (Double(tally.slowPairs), Double(tally.pairs))
        }
    }

    /// Whether `bad` of `total` stands out: above the SLA and, for loss, more than four standard
    /// deviations above what background loss explains.
    private func elevated(bad: Double, total: Double, _ measure: Measure, minimum: Double) -> Bool {
        guard total > 0, bad >= minimum else { return false }
        switch measure {
        case .loss:
            let expected = settings.backgroundLoss * total
            return bad / total >= settings.lossSLA && bad >= expected + 4 * expected.squareRoot()
        case .latency:
            return bad / total >= settings.latencyShare
        }
    }

    private func locate(_ measure: Measure, pairs: [PairObservation], fabric: FabricModel) -> (Finding, Named)? {
        var tallies = [Tally](repeating: Tally(), count: fabric.componentCount)
        var path: (Int32, Int32, Int32, Int32, Int32, Int32, Int32) = (0, 0, 0, 0, 0, 0, 0)
        let latencySLA = settings.latencySLAMicroseconds
        for pair in pairs {
            let count = fabric.path(from: pair.source, to: pair.destination, into: &path)
            let slow = pair.p99Microseconds > latencySLA
            Self.forEach(path, count) { tallies[Int($0)].add(pair, slow: slow) }
        }
        let minimum = Double(settings.minimumBad)
        let candidates = tallies.indices
            .filter { let (b, t) = bad(tallies[$0], measure); return elevated(bad: b, total: t, measure, minimum: minimum) }
            .sorted { a, b in
                let (x, y) = (bad(tallies[a], measure), bad(tallies[b], measure))
                return x.bad / x.total != y.bad / y.total ? x.bad / x.total > y.bad / y.total : a < b
            }
            .prefix(min(settings.candidates, 16))
            .map { Int32($0) }
        guard !candidates.isEmpty else { return nil }

        // One pass: each pair's membership among the candidates as a bit mask, and the bad and
        // total figures summed per mask. A meeting of a and b reads the masks with a and not b.
        var byMask: [UInt32: (bad: Double, total: Double)] = [:]
        for pair in pairs {
            let count = fabric.path(from: pair.source, to: pair.destination, into: &path)
            var mask: UInt32 = 0
            for (bit, candidate) in candidates.enumerated() where Self.contains(path, count, candidate) { mask |= 1 << UInt32(bit) }
            guard mask != 0 else { continue }
            let figures: (Double, Double) =
                switch measure {
                case .loss: (Double(pair.lost), Double(pair.sent))
                case .latency: (pair.p99Microseconds > latencySLA ? 1 : 0, 1)
                }
            byMask[mask, default: (0, 0)].bad += figures.0
            byMask[mask, default: (0, 0)].total += figures.1
        }
        func exclusive(_ a: Int, _ b: Int) -> (bad: Double, total: Double) {
            var sum = (bad: 0.0, total: 0.0)
            for (mask, figures) in byMask where mask & (1 << UInt32(a)) != 0 && mask & (1 << UInt32(b)) == 0 {
                sum.bad += figures.bad
                sum.total += figures.total
            }
            return sum
        }
        var wins = [Int](repeating: 0, count: candidates.count)
        for a in candidates.indices {
            for b in candidates.indices where a < b {
                let onlyA = exclusive(a, b)
                let onlyB = exclusive(b, a)
                // Own pairs need less evidence than a candidate: they are a part of it.
                let aShows = elevated(bad: onlyA.bad, total: onlyA.total, measure, minimum: 2)
                let bShows = elevated(bad: onlyB.bad, total: onlyB.total, measure, minimum: 2)
                let winner: Int
                if aShows != bShows {
                    winner = aShows ? a : b
                } else if aShows {
                    winner = onlyA.bad / onlyA.total >= onlyB.bad / onlyB.total ? a : b
                } else if let hinted = Self.hinted(
                    elevated(bad: onlyA.bad, total: onlyA.total, measure, minimum: 1),
                    elevated(bad: onlyB.bad, total: onlyB.total, measure, minimum: 1), a, b)
                {
                    // A single bad probe on one side's own pairs, where background explains none
                    // and the other side's are clean, still points away from what they share: with
                    // few probes a wide component's own pairs may by chance lose only one, and
                    // the narrower bystander must not win for it.
                    winner = hinted
                } else {
                    // Neither's own pairs show it: the fault is on what they share, and the
                    // narrower component (then the one with fewer pairs) is the closer description.
                    let (x, y) = (candidates[a], candidates[b])
                    let (narrowX, narrowY) = (fabric.narrowness(x), fabric.narrowness(y))
                    if narrowX > 0, narrowY > 0, (onlyA.total == 0) != (onlyB.total == 0) {
                        // Between tiers and links, one whose pairs all cross the other is exactly
                        // what they share: in a data center of two podsets every pair through the
                        // spines crosses both leaf tiers, and clean pairs inside the podsets clear
                        // the leaves. (A ToR keeps its place before its leaves, below.)
                        winner = onlyA.total == 0 ? a : b
                    } else {
                        winner = narrowX != narrowY ? (narrowX < narrowY ? a : b) : (tallies[Int(x)].pairs <= tallies[Int(y)].pairs ? a : b)
                    }
                }
                wins[winner] += 1
            }
        }
        let best = wins.indices.max { x, y in wins[x] != wins[y] ? wins[x] < wins[y] : x > y } ?? 0
        let id = candidates[best]
        let tally = tallies[Int(id)]
        let confidence = candidates.count == 1 ? 1 : Double(wins[best]) / Double(candidates.count - 1)
        if measure == .loss, fabric.narrowness(id) == 0, let server = lossyServer(under: id, pairs: pairs, fabric: fabric) {
            let own = pairs.filter { $0.source == server || $0.destination == server }
            var serverTally = Tally()
            for pair in own { serverTally.add(pair, slow: false) }
            var named = finding(
                measure, component: .server(name: fabric.servers[Int(server)].name), tally: serverTally, confidence: confidence,
                through: own, fabric: fabric)
            named.explanation +=
                "; every lossy pair through its ToR has it at one end and the ToR's other pairs are clean:"
                + " its NIC, cable or ToR port, not the ToR"
            return (named, .server(server))
        }
        let through = pairs.filter { pair in
            let count = fabric.path(from: pair.source, to: pair.destination, into: &path)
            return Self.contains(path, count, id)
        }
        let named = finding(
            measure, component: fabric.component(id), tally: tally, confidence: confidence, through: through, fabric: fabric)
        return (named, .component(id))
    }

    /// The one of `a` and `b` whose own pairs alone hint at the fault, if only one's do.
    private static func hinted(_ aHints: Bool, _ bHints: Bool, _ a: Int, _ b: Int) -> Int? {
        aHints == bHints ? nil : aHints ? a : b
    }

    /// The server under ToR `tor` that every lossy pair through the ToR has at one end, when it
    /// lost probes with two peers or more and on at least three quarters of its pairs: its own
    /// link (NIC, cable, ToR port) is at fault, not the ToR, whose other pairs are clean. A link
    /// that fails in the middle of a window looks so: every pair of the server loses part of its
    /// probes, too few for it to be unreachable. A ToR dropping only some of a server's peers
    /// (a black hole for some pairs) stays the ToR's.
    private func lossyServer(under tor: Int32, pairs: [PairObservation], fabric: FabricModel) -> Int32? {
        var path: (Int32, Int32, Int32, Int32, Int32, Int32, Int32) = (0, 0, 0, 0, 0, 0, 0)
        var common: Set<Int32>?
        for pair in pairs where pair.lost > 0 {
            let count = fabric.path(from: pair.source, to: pair.destination, into: &path)
            guard Self.contains(path, count, tor) else { continue }
            let ends: Set<Int32> = [pair.source, pair.destination]
            common = common?.intersection(ends) ?? ends
            if common?.isEmpty == true { return nil }
        }
        guard let server = common?.filter({ fabric.servers[Int($0)].tor == tor }).min() else { return nil }
        var (total, lossy) = (0, 0)
        var peers = Set<Int32>()
        for pair in pairs where pair.source == server || pair.destination == server {
            total += 1
            guard pair.lost > 0 else { continue }
            lossy += 1
            peers.insert(pair.source == server ? pair.destination : pair.source)
        }
        return peers.count >= 2 && lossy * 4 >= total * 3 ? server : nil
    }

    /// The finding for `component`, from its tally and the pairs through it.
    private func finding(
        _ measure: Measure, component: FabricComponent, tally: Tally, confidence: Double, through: [PairObservation], fabric: FabricModel
    ) -> Finding {
        let kind: Finding.Kind
        switch measure {
        case .latency: kind = .latency
        case .loss:
            if tally.allLostPairs * 2 >= tally.lossyPairs {
                kind = .blackHole
            } else if tally.portBlackholedPairs * 2 >= tally.lossyPairs {
                kind = .portBlackHole
            } else {
                kind = .packetLoss
            }
        }
        let worst =
            measure == .loss
            ? through.filter { $0.lost > 0 }.sorted { ($0.lost, $1.source) > ($1.lost, $0.source) }
            : through.filter { $0.p99Microseconds > settings.latencySLAMicroseconds }.sorted { $0.p99Microseconds > $1.p99Microseconds }
        let examples = worst.prefix(5).map { pair in
            let names = "\(fabric.servers[Int(pair.source)].name) -> \(fabric.servers[Int(pair.destination)].name)"
            return measure == .loss ? "\(names): \(pair.lost) of \(pair.sent) lost" : "\(names): p99 \(pair.p99Microseconds) us"
        }
        let ratio = measure == .loss ? Double(tally.lost) / Double(max(tally.sent, 1)) : Double(tally.slowPairs) / Double(max(tally.pairs, 1))
        var explanation =
            switch kind {
            case .blackHole: "\(tally.allLostPairs) of its \(tally.pairs) pairs lose every probe, while its neighbours' own pairs are clean"
            case .portBlackHole:
                "\(tally.portBlackholedPairs) of its \(tally.pairs) pairs lose every probe of some source ports and none of the others: a black hole for some 5-tuples"
            case .latency: "\(tally.slowPairs) of its \(tally.pairs) pairs have p99 above \(settings.latencySLAMicroseconds) us, while its neighbours' own pairs are within it"
            default: "loss \(Self.format(ratio)) over \(tally.sent) probes (SLA \(Self.format(settings.lossSLA))), while its neighbours' own pairs are clean"
            }
        if component.isTier {
            explanation += "; the devices of the tier are equal-cost paths chosen per flow, so pair data names the tier, not the device: a traceroute on the example pairs names it"
        }
        return Finding(
            kind: kind, component: component, confidence: confidence, badPairs: measure == .loss ? tally.lossyPairs : tally.slowPairs,
            pairs: tally.pairs, ratio: ratio, examples: Array(examples), explanation: explanation)
    }

    // MARK: Paths

    @inline(__always)
    static func forEach(_ path: (Int32, Int32, Int32, Int32, Int32, Int32, Int32), _ count: Int, _ body: (Int32) -> Void) {
        body(path.0)
        guard count > 1 else { return }
        body(path.1)
        body(path.2)
        guard count > 3 else { return }
        body(path.3)
        body(path.4)
        guard count > 5 else { return }
        body(path.5)
        body(path.6)
    }

    @inline(__always)
    static func contains(_ path: (Int32, Int32, Int32, Int32, Int32, Int32, Int32), _ count: Int, _ id: Int32) -> Bool {
        var found = false
        forEach(path, count) { if $0 == id { found = true } }
        return found
    }

    static func format(_ ratio: Double) -> String {
        ratio >= 0.01 ? "\((ratio * 1000).rounded() / 10)%" : "\((ratio * 1e6).rounded() / 1e6)"
    }
}
