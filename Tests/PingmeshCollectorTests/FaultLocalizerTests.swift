import PingmeshCollector
import Testing

/// Every fault kind of the simulator, on a 1,000-server fabric (2 DCs x 5 podsets x 5 ToRs x 20
/// servers): the first finding names the injected component (or its tier, saying so) in the
/// first window, and healthy windows name nothing.
/// Serialized, and one seed per kind (the benchmark runs hundreds): simulating 1,000 servers in a
/// debug build is CPU work that would otherwise take every core from the timing-sensitive suites.
@Suite("Fault localisation", .serialized)
struct FaultLocalizerTests {
    static let simulator: FaultSimulator = {
        do { return try FaultSimulator() } catch { fatalError("the simulated topology is invalid: \(error)") }
    }()

    /// The most significant finding: server findings first, then the network's, as `analyze`
    /// returns them; agent-silent findings are notes, not faults.
    static func top(_ fault: FaultSimulator.Fault, seed: UInt64) -> [Finding] {
        FaultLocalizer().analyze(simulator.window(fault, seed: seed)).filter { $0.kind != .agentSilent }
    }

    static let faults: [(String, FaultSimulator.Fault)] = [
        ("server down", .serverDown(server: 137)),
        ("ToR down", .torDown(tor: 7)),
        ("ToR black hole for 20% of its IP pairs", .torBlackHole(tor: 12, share: 0.2)),
        ("port-specific black hole on a ToR", .portBlackHole(tor: 31, port: 1)),
        ("one leaf dropping 2%", .leafDrops(podset: 3, leaf: 2, rate: 0.02)),
        ("one spine dropping 1%", .spineDrops(datacenter: 1, spine: 0, rate: 0.01)),
        ("8 ms on the DC link", .linkLatency(a: 0, b: 1, addedMicroseconds: 8_000)),
    ]

    @Test("each fault kind is named, with its kind, in the first window", arguments: 0..<7)
    func namesTheInjectedComponent(index: Int) throws {
        let (label, fault) = Self.faults[index]
        let expected = try #require(Self.simulator.expected(fault))
        for seed: UInt64 in [UInt64(index) + 1] {
            let findings = Self.top(fault, seed: seed)
            let first = try #require(findings.first, "\(label): nothing found")
            #expect(first.component == expected.component, "\(label), seed \(seed): named \(first.component), not \(expected.component)")
            #expect(expected.kinds.contains(first.kind), "\(label), seed \(seed): kind \(first.kind)")
            #expect(findings.count == 1, "\(label), seed \(seed): more than the one fault: \(findings.map { "\($0.kind) \($0.component)" })")
            #expect(!first.examples.isEmpty && !first.explanation.isEmpty)
            if first.component.isTier { #expect(first.explanation.contains("names the tier, not the device")) }
        }
    }

    @Test("healthy windows, with background loss, open nothing")
    func healthyIsQuiet() {
        for seed: UInt64 in 1...2 {
            let findings = Self.top(.none, seed: seed)
            #expect(findings.isEmpty, "seed \(seed): \(findings.map { "\($0.kind) \($0.component)" })")
        }
    }

    @Test("a server down and a ToR down are told apart from the network: not network faults, the ToR is one")
    func serverVersusNetwork() throws {
        let server = try #require(Self.top(.serverDown(server: 5), seed: 9).first)
        #expect(server.kind == .serverDown && !server.isNetwork)
        let tor = try #require(Self.top(.torDown(tor: 2), seed: 9).first)
        #expect(tor.kind == .torDown && tor.isNetwork)
    }

    @Test("a silent agent on a reachable server is the agent's problem")
    func silentAgent() throws {
        var window = Self.simulator.window(.none, seed: 4)
        let server = Int32(17)
        window.reporting[Int(server)] = false
        window.pairs.removeAll { $0.source == server }
        let findings = FaultLocalizer().analyze(window)
        #expect(findings.map(\.kind) == [.agentSilent])
        #expect(findings.first?.component == .server(name: window.fabric.servers[Int(server)].name))
    }

    @Test("two faults at once, a leaf and a ToR black hole elsewhere, are both named")
    func twoFaults() throws {
        let leaf = FaultSimulator.Fault.leafDrops(podset: 1, leaf: 0, rate: 0.05)
        let hole = FaultSimulator.Fault.torBlackHole(tor: 40, share: 0.3)
        var window = Self.simulator.window(leaf, seed: 11)
        let other = Self.simulator.window(hole, seed: 11)
        // Where the black hole lost more, it wins: the union of both faults' losses.
        for index in window.pairs.indices where other.pairs[index].lost > window.pairs[index].lost { window.pairs[index] = other.pairs[index] }
        let named = Set(FaultLocalizer().analyze(window).map(\.component))
        #expect(named.contains(try #require(Self.simulator.expected(leaf)).component))
        #expect(named.contains(try #require(Self.simulator.expected(hole)).component))
    }

    /// The lab's fabric (Tests/Lab): one data center, two podsets of two ToRs of two servers, and
    /// the controller's plan (every server probes its ToR neighbour and the server in its position
    /// under every other ToR), 6 probes per pair a minute. `lossy` gives each pair's lost probes.
    static func twoPodsetWindow(lossy: (_ source: Int, _ destination: Int) -> UInt32) -> WindowEvidence {
        var placements: [String: [String: String]] = [:]
        for server in 0..<8 {
            placements["s\(server + 1)"] = ["dc": "dc1", "podset": "ps\(server / 4 + 1)", "tor": "tor\(server / 2 + 1)"]
        }
        let fabric = FabricModel(placements: placements)
        var pairs: [PairObservation] = []
        for source in 0..<8 {
            for destination in 0..<8 where destination != source && (destination / 2 == source / 2 || destination % 2 == source % 2) {
                let (s, d) = (fabric.serverIndex["s\(source + 1)"]!, fabric.serverIndex["s\(destination + 1)"]!)
                pairs.append(PairObservation(source: s, destination: d, sent: 6, lost: lossy(source, destination), p99Microseconds: 200))
            }
        }
        return WindowEvidence(fabric: fabric, reporting: Array(repeating: true, count: 8), pairs: pairs)
    }

    @Test("two podsets: drops on the spines name the spine tier, though every spine pair also crosses both leaf tiers")
    func spinesOfTwoPodsets() throws {
        // About 10% of the probes across podsets lost, none inside a podset.
        let window = Self.twoPodsetWindow { source, destination in
            source / 4 == destination / 4 ? 0 : UInt32((source + destination) % 3 == 0 ? 0 : 1)
        }
        let findings = FaultLocalizer().analyze(window)
        let first = try #require(findings.first, "nothing found")
        #expect(first.component == .spineTier(datacenter: "dc1"), "named \(first.component)")
        #expect(first.kind == .packetLoss)
        #expect(findings.count == 1, "\(findings.map { "\($0.kind) \($0.component)" })")
    }

    @Test("two podsets: drops on one podset's leaves, inside the podset too, still name that leaf tier")
    func leavesOfTwoPodsets() throws {
        // Lost probes on pairs across ToRs of ps1 and on every pair leaving or entering it.
        let window = Self.twoPodsetWindow { source, destination in
            source / 2 == destination / 2 || (source >= 4 && destination >= 4) ? 0 : 1
        }
        let first = try #require(FaultLocalizer().analyze(window).first, "nothing found")
        #expect(first.component == .leafTier(podset: "ps1", datacenter: "dc1"), "named \(first.component)")
    }

    @Test("a server's link failing within the window: its pairs lose part of their probes, and the server is named, not its ToR")
    func serverLinkWithinWindow() throws {
        // s6 (index 5) went off the fabric half-way through the minute.
        let window = Self.twoPodsetWindow { source, destination in source == 5 || destination == 5 ? 3 : 0 }
        let findings = FaultLocalizer().analyze(window)
        let first = try #require(findings.first, "nothing found")
        #expect(first.component == .server(name: "s6"), "named \(first.component)")
        #expect(first.kind == .packetLoss && first.isNetwork)
        #expect(first.explanation.contains("not the ToR"))
        #expect(findings.count == 1, "\(findings.map { "\($0.kind) \($0.component)" })")
    }

    @Test("a ToR black-holing some pairs stays the ToR's, even when they all have one of its servers at an end")
    func torBlackHoleForSomePairs() throws {
        // The lab's scenario 2: tor1 drops s1 with s3 and s5, and s2 with s8.
        let lab: Set<[Int]> = [[0, 2], [0, 4], [1, 7]]
        let mixed = Self.twoPodsetWindow { source, destination in
            lab.contains([min(source, destination), max(source, destination)]) ? 6 : 0
        }
        // Only s1's pairs with s3 and s5: half of s1's pairs, not its link.
        let oneServer = Self.twoPodsetWindow { source, destination in
            [[0, 2], [0, 4]].contains([min(source, destination), max(source, destination)]) ? 6 : 0
        }
        for window in [mixed, oneServer] {
            let first = try #require(FaultLocalizer().analyze(window).first, "nothing found")
            #expect(first.component == .tor(name: "tor1", podset: "ps1"), "named \(first.component)")
            #expect(first.kind == .blackHole)
        }
    }

    @Test("the fabric model places servers by their labels, and unlabelled ones in an unknown group")
    func fabricFromPlacements() {
        let fabric = FabricModel(placements: [
            "a": ["dc": "dc1", "podset": "p1", "tor": "t1"], "b": ["dc": "dc1", "podset": "p1", "tor": "t1"],
            "c": ["dc": "dc2", "podset": "p1", "pod": "t1"], "d": [:],
        ])
        #expect(fabric.servers.map(\.name) == ["a", "b", "c", "d"])
        #expect(fabric.tors.count == 3, "t1 of dc2/p1 is another ToR than t1 of dc1/p1")
        #expect(fabric.datacenters == ["dc1", "dc2", "unknown"])
        #expect(fabric.servers[0].tor == fabric.servers[1].tor)
    }
}
