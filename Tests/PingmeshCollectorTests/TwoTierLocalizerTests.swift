import PingmeshModel
import Testing

@testable import PingmeshCollector

/// A two-tier fabric (every ToR wired straight to the spines of its data center, no leaves), as
/// the two-tier lab builds it: 4 ToRs in 2 podsets, 3 servers each. Analysis may name only
/// components this fabric has: ToRs, the spine tier, servers; never a leaf tier.
@Suite("Fault localisation on a two-tier fabric")
struct TwoTierLocalizerTests {
    /// Servers s1...s12, three per ToR, ToRs tor1...tor4 in podsets ps1 (tor1, tor2) and ps2.
    /// Every server probes every other; `lost` gives each pair's lost packets of `sent`.
    static func window(
        shape: FabricDescription.Shape = .twoTier, sent: UInt32 = 6, reporting: (Int) -> Bool = { _ in true },
        lost: (_ source: Int, _ destination: Int) -> UInt32
    ) -> WindowEvidence {
        var placements: [String: [String: String]] = [:]
        for server in 0..<12 {
            placements[name(server)] = ["dc": "dc1", "podset": "ps\(server / 6 + 1)", "tor": "tor\(server / 3 + 1)"]
        }
        let fabric = FabricModel(placements: placements, shape: shape)
        var pairs: [PairObservation] = []
        for source in 0..<12 {
            for destination in 0..<12 where destination != source {
                pairs.append(
                    PairObservation(
                        source: fabric.serverIndex[name(source)]!, destination: fabric.serverIndex[name(destination)]!, sent: sent,
                        lost: lost(source, destination), p99Microseconds: 150))
            }
        }
        var flags = [Bool](repeating: true, count: 12)
        for server in 0..<12 { flags[Int(fabric.serverIndex[name(server)]!)] = reporting(server) }
        return WindowEvidence(fabric: fabric, reporting: flags, pairs: pairs)
    }

    /// Server names sort as their indices do (s01...s12), so dense ids follow them.
    static func name(_ server: Int) -> String { "s" + (server < 9 ? "0" : "") + "\(server + 1)" }

    static func describe(_ findings: [Finding]) -> String { findings.map { "\($0.kind) \($0.component)" }.joined(separator: "; ") }

    @Test("drops on one spine, across ToRs of both podsets, name the spine tier, never a leaf tier")
    func spineDrops() throws {
        // About a third of the pairs across ToRs lose a resent SYN: paths through the dropping spine.
        let window = Self.window { source, destination in
            source / 3 == destination / 3 ? 0 : ((source * 7 + destination * 3) % 3 == 0 ? 1 : 0)
        }
        let findings = FaultLocalizer().analyze(window)
        let first = try #require(findings.first, "nothing found")
        #expect(first.component == .spineTier(datacenter: "dc1"), "\(Self.describe(findings))")
        #expect(first.kind == .packetLoss)
        #expect(!findings.contains { if case .leafTier = $0.component { true } else { false } }, "\(Self.describe(findings))")
    }

    @Test("the fabric's shape decides the paths: inside a podset two tiers cross the spines, three the podset's leaves")
    func shapeDecidesTheTiers() {
        let placements = ["a": ["dc": "dc1", "podset": "ps1", "tor": "tor1"], "b": ["dc": "dc1", "podset": "ps1", "tor": "tor2"]]
        var path: (Int32, Int32, Int32, Int32, Int32, Int32, Int32) = (0, 0, 0, 0, 0, 0, 0)
        let three = FabricModel(placements: placements)
        #expect(three.path(from: 0, to: 1, into: &path) == 3)
        #expect(three.component(path.1) == .leafTier(podset: "ps1", datacenter: "dc1"))
        let two = FabricModel(placements: placements, shape: .twoTier)
        #expect(two.path(from: 0, to: 1, into: &path) == 3)
        #expect(two.component(path.1) == .spineTier(datacenter: "dc1"))
        // Lossy pairs inside podset ps1, across its ToRs: never a leaf tier on two tiers.
        let findings = FaultLocalizer().analyze(
            Self.window { source, destination in source / 6 == 0 && destination / 6 == 0 && source / 3 != destination / 3 ? 2 : 0 })
        #expect(!findings.isEmpty)
        #expect(!findings.contains { if case .leafTier = $0.component { true } else { false } }, "\(Self.describe(findings))")
    }

    @Test("a server that goes down mid-window is a server down, and its lost pairs name no network component")
    func serverDownMidWindow() throws {
        // s05 (under tor2) went down about a third into the window: every peer lost 4 of 6 probes
        // to it; its own probes, sent before, got through; its agent is silent.
        for silent in [true, false] {
            let window = Self.window(reporting: { silent ? $0 != 4 : true }) { _, destination in destination == 4 ? 4 : 0 }
            let findings = FaultLocalizer().analyze(window)
            #expect(findings.map(\.kind) == [.serverDown], "silent \(silent): \(Self.describe(findings))")
            #expect(findings.first?.component == .server(name: "s05"))
            #expect(findings.allSatisfy { !$0.isNetwork })
        }
    }

    @Test("a ToR that black-holes some of one server's peers is still the ToR, not a server going down")
    func partialBlackHoleStaysNetwork() throws {
        // tor1 drops s01 <-> s04, s07 and s10 both ways: some of s01's peers, not all.
        let window = Self.window { source, destination in
            let pair = Set([source, destination])
            return pair.contains(0) && !pair.isDisjoint(with: [3, 6, 9]) ? 6 : 0
        }
        let findings = FaultLocalizer().analyze(window)
        let first = try #require(findings.first, "nothing found")
        #expect(first.isNetwork && first.kind == .blackHole, "\(Self.describe(findings))")
        #expect(!findings.contains { $0.kind == .serverDown })
    }
}
