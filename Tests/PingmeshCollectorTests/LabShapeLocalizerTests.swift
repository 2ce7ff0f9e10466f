import PingmeshCollector
import Testing

/// The lab's fabric (1 DC, 2 podsets of 2 ToRs of 2 servers, 2 leaves per podset, 2 spines),
/// where a window holds few probes per pair, so chance can make a bystander look guilty.
@Suite("Fault localisation on the lab's small fabric")
struct LabShapeLocalizerTests {
    @Test("one spine dropping at random: a single loss on the pairs a ToR does not share still names the spine tier, not that ToR")
    func singleLossOutsideTheToR() throws {
        // The lab's spine run: tor2's pairs across podsets (s3, s4 with s5..s8) lost most probes,
        // tor1's across podsets lost one; nothing lost inside a podset.
        let window = FaultLocalizerTests.twoPodsetWindow { source, destination in
            guard source / 4 != destination / 4 else { return 0 }
            let tor2 = source / 2 == 1 || destination / 2 == 1
            return tor2 ? UInt32(1 + (source + destination) % 2) : (source == 0 && destination == 4 ? 1 : 0)
        }
        let findings = FaultLocalizer().analyze(window)
        let first = try #require(findings.first, "nothing found")
        #expect(first.component == .spineTier(datacenter: "dc1"), "named \(first.component)")
        #expect(findings.count == 1, "\(findings.map { "\($0.kind) \($0.component)" })")
    }

    @Test("one spine of two dropping 20% (about what a TCP probe's two crossings see at 10%): the spine tier is named in at least 97 of 100 windows that name anything")
    func spineDropsOverManyWindows() throws {
        var simulator = try FaultSimulator(datacenters: 1, podsetsPerDatacenter: 2, torsPerPodset: 2, serversPerTor: 2)
        simulator.leavesPerPodset = 2
        simulator.spinesPerDatacenter = 2
        // The lab's TCP probes leave from a fresh ephemeral port each: every probe its own path.
        simulator.sourcePorts = simulator.probesPerWindow
        let fault = FaultSimulator.Fault.spineDrops(datacenter: 0, spine: 0, rate: 0.2)
        let expected = try #require(simulator.expected(fault))
        var (named, right) = (0, 0)
        var wrong: [String: Int] = [:]
        for seed: UInt64 in 1...200 {
            guard let first = FaultLocalizer().analyze(simulator.window(fault, seed: seed)).first(where: { $0.kind != .agentSilent }) else { continue }
            named += 1
            if first.component == expected.component { right += 1 } else { wrong["\(first.component)", default: 0] += 1 }
        }
        // Before single losses counted, 6.75% of such windows named a ToR (400 seeds).
        #expect(named >= 180, "only \(named) of 200 windows named anything")
        #expect(right * 100 >= named * 97, "\(right) of \(named) named the spine tier; instead: \(wrong)")
    }
}
