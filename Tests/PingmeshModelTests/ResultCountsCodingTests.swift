import Foundation
import Testing

@testable import PingmeshModel

/// Agents and collectors of different releases run side by side in a fleet: counts without
/// `unresolved` (from an agent that does not know the class) must decode, and an agent's upload
/// must leave the key out while no name failed, since a collector that does not know the class
/// rejects unknown keys.
@Suite("Result counts coding")
struct ResultCountsCodingTests {
    @Test("counts of an older agent, without unresolved, decode with none")
    func olderAgent() throws {
        let json = #"{"ok": 5, "slow": 1, "timeout": 2, "refused": 0, "unreachable": 1, "error": 3}"#
        let counts = try JSONDecoder().decode(ResultCounts.self, from: Data(json.utf8))
        #expect(counts == ResultCounts(ok: 5, slow: 1, timeout: 2, unreachable: 1, error: 3))
        #expect(counts.total == 12 && counts.failed == 6)
    }

    @Test("unresolved round-trips, counts as a failure and is left out while zero")
    func unresolvedKey() throws {
        let counts = ResultCounts(ok: 1, unresolved: 4)
        let encoded = String(decoding: try JSONEncoder().encode(counts), as: UTF8.self)
        #expect(encoded.contains(#""unresolved":4"#))
        #expect(try JSONDecoder().decode(ResultCounts.self, from: Data(encoded.utf8)) == counts)
        #expect(counts.total == 5 && counts.failed == 4 && counts[.unresolved] == 4)
        #expect(!String(decoding: try JSONEncoder().encode(ResultCounts(ok: 1)), as: UTF8.self).contains("unresolved"))
    }

    @Test("unresolved is a failure class after the six older ones; retransmitted, an answer that lost a packet, comes last")
    func resultClass() {
        #expect(ProbeResultClass.unresolved.isFailure)
        #expect(Array(ProbeResultClass.allCases.suffix(2)) == [.unresolved, .retransmitted] && ProbeResultClass.allCases.count == 8)
        #expect(!ProbeResultClass.retransmitted.isFailure && !ProbeResultClass.retransmitted.isAnswered)
        #expect(ProbeResultClass(rawValue: "unresolved") == .unresolved)
    }
}
