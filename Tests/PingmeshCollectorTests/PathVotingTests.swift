import PingmeshModel
import Testing

@testable import PingmeshCollector

/// Path voting on recorded traceroutes of the two-tier lab's fabric: ToRs tor1...tor4 wired to
/// spine1 and spine2; the link of ToR t and spine s is 10.2.t.(4(s-1))/30, the ToR at +1 and the
/// spine at +2; servers 10.1.t.(11...13). A hop answers from its interface toward the sender.
@Suite("Path voting")
struct PathVotingTests {
    static let fabric: FabricDescription = {
        var devices: [FabricDescription.Device] = []
        for t in 1...4 {
            devices.append(.init(name: "tor\(t)", tier: .tor, datacenter: "dc1", addresses: ["10.1.\(t).1"] + (1...2).map { "10.2.\(t).\(4 * ($0 - 1) + 1)" }))
        }
        for s in 1...2 {
            devices.append(.init(name: "spine\(s)", tier: .spine, datacenter: "dc1", addresses: (1...4).map { "10.2.\($0).\(4 * (s - 1) + 2)" }))
        }
        return FabricDescription(shape: .twoTier, devices: devices)
    }()

    /// s1...s12, three per ToR.
    static let placements: [String: [String: String]] = Dictionary(
        uniqueKeysWithValues: (1...12).map { ("s\($0)", ["dc": "dc1", "tor": "tor\(($0 - 1) / 3 + 1)"]) })

    static func server(_ k: Int) -> String { "10.1.\((k - 1) / 3 + 1).\(11 + (k - 1) % 3)" }
    static func tor(_ k: Int) -> Int { (k - 1) / 3 + 1 }

    /// A trace from server `from` to server `to` through `spine`: the source ToR, the spine, the
    /// destination ToR and the destination; `darkAfter` cuts it after that many hops.
    static func trace(_ from: Int, _ to: Int, spine: Int, port: Int, failing: Bool, darkAfter: Int? = nil) -> IncidentTraceroute {
        let (a, b) = (tor(from), tor(to))
        var hops: [String?] = ["10.1.\(a).1", "10.2.\(a).\(4 * (spine - 1) + 2)", "10.2.\(b).\(4 * (spine - 1) + 1)", server(to)]
        var reached = true
        if let darkAfter {
            hops = Array(hops.prefix(darkAfter)) + [nil, nil, nil, nil, nil]
            reached = false
        }
        var route = IncidentTraceroute(
            source: "s\(from)", destination: "s\(to)", protocol: "tcp", target: "tcp://\(server(to)):9301", sourcePort: port, failing: failing)
        route.reachedDestination = reached
        route.hops = hops
        return route
    }

    static let voting = PathVoting(fabric: fabric, placements: placements)

    @Test("drops on spine1: every failing 5-tuple crossed spine1, so spine1 is named within the spine tier")
    func spineDrops() throws {
        let traces = [
            Self.trace(1, 7, spine: 1, port: 40_101, failing: true), Self.trace(1, 7, spine: 2, port: 41_000, failing: false),
            Self.trace(4, 10, spine: 1, port: 40_222, failing: true), Self.trace(4, 10, spine: 2, port: 41_001, failing: false),
            Self.trace(8, 2, spine: 1, port: 40_333, failing: true), Self.trace(8, 2, spine: 1, port: 41_002, failing: false),
        ]
        let verdict = try #require(Self.voting.verdict(traces, for: .spineTier(datacenter: "dc1")))
        #expect(verdict.culprit == .device("spine1"), "\(verdict)")
        #expect(verdict.failingPaths == 3 && verdict.explained == 3)
    }

    @Test("link spine2 - tor3 down: the paths into tor3 over spine2 go dark after spine2, others get through")
    func linkDown() throws {
        let traces = [
            Self.trace(1, 7, spine: 2, port: 40_101, failing: true, darkAfter: 2), Self.trace(1, 7, spine: 1, port: 41_000, failing: false),
            Self.trace(4, 8, spine: 2, port: 40_222, failing: true, darkAfter: 2), Self.trace(4, 10, spine: 2, port: 41_001, failing: false),
        ]
        let verdict = try #require(Self.voting.verdict(traces, for: .tor(name: "tor3", podset: "ps2")))
        #expect(verdict.culprit == .link("spine2", "tor3"), "\(verdict)")
        #expect(verdict.explanation.contains("no path that got through crossed that hop"))
    }

    @Test("link spine2 - tor3 down, with answers lost on the way back: paths out of tor3 also look dark, after spine1, and the link still wins")
    func linkDownWithLostAnswers() throws {
        // Into tor3 over spine2: dark after spine2. Out of tor3 (always over spine1, tor3's only
        // uplink left): the time-exceeded answers of the next ToR come back over spine2 and are
        // lost, so those paths look dark after spine1, each toward another ToR.
        let traces = [
            Self.trace(1, 7, spine: 2, port: 40_101, failing: true, darkAfter: 2), Self.trace(4, 8, spine: 2, port: 40_222, failing: true, darkAfter: 2),
            Self.trace(10, 9, spine: 2, port: 40_333, failing: true, darkAfter: 2), Self.trace(2, 8, spine: 2, port: 40_444, failing: true, darkAfter: 2),
            Self.trace(7, 1, spine: 1, port: 40_555, failing: true, darkAfter: 2), Self.trace(8, 4, spine: 1, port: 40_666, failing: true, darkAfter: 2),
            Self.trace(9, 10, spine: 1, port: 40_777, failing: true, darkAfter: 2),
            Self.trace(7, 1, spine: 1, port: 41_000, failing: false), Self.trace(1, 7, spine: 1, port: 41_001, failing: false),
        ]
        let verdict = try #require(Self.voting.verdict(traces, for: .tor(name: "tor3", podset: "ps2")))
        #expect(verdict.culprit == .link("spine2", "tor3"), "\(verdict)")
        #expect(verdict.explained == 4 && verdict.failingPaths == 7)
    }

    @Test("a source port black-holed on spine1: dark after spine1 toward several ToRs names spine1, not a link")
    func portBlackHole() throws {
        let traces = [
            Self.trace(1, 7, spine: 1, port: 20_001, failing: true, darkAfter: 2),
            Self.trace(4, 10, spine: 1, port: 20_001, failing: true, darkAfter: 2),
            Self.trace(1, 7, spine: 1, port: 41_000, failing: false),
        ]
        let verdict = try #require(Self.voting.verdict(traces, for: .spineTier(datacenter: "dc1")))
        #expect(verdict.culprit == .device("spine1"), "\(verdict)")
        // One ToR only, but another 5-tuple got through the same hop: the device drops some flows.
        let one = try #require(Self.voting.verdict([traces[0], traces[2]], for: .spineTier(datacenter: "dc1")))
        #expect(one.culprit == .device("spine1"), "\(one)")
    }

    @Test("failing paths split over both spines name no device: the tier stays")
    func ambiguous() {
        let traces = [
            Self.trace(1, 7, spine: 1, port: 40_101, failing: true), Self.trace(4, 10, spine: 2, port: 40_222, failing: true),
        ]
        #expect(Self.voting.verdict(traces, for: .spineTier(datacenter: "dc1")) == nil)
        #expect(Self.voting.verdict([], for: .spineTier(datacenter: "dc1")) == nil)
        // Comparison paths that got through vote for nothing.
        #expect(Self.voting.verdict([Self.trace(1, 7, spine: 1, port: 1, failing: false)], for: .spineTier(datacenter: "dc1")) == nil)
    }

    @Test("without a device list hops are shown as addresses, and the vote still runs on them")
    func addressesWithoutDevices() throws {
        let bare = PathVoting(fabric: .standard, placements: Self.placements)
        let traces = [
            Self.trace(1, 7, spine: 1, port: 40_101, failing: true), Self.trace(1, 7, spine: 1, port: 40_102, failing: true),
        ]
        // Every hop is on both failing paths: nothing stands out, so nothing is named.
        #expect(bare.verdict(traces, for: .spineTier(datacenter: "dc1")) == nil)
        let dark = [Self.trace(1, 7, spine: 2, port: 40_101, failing: true, darkAfter: 2)]
        let verdict = try #require(bare.verdict(dark, for: .spineTier(datacenter: "dc1")))
        #expect(verdict.culprit == .link("10.2.1.6", "tor3"), "\(verdict)")
    }
}
