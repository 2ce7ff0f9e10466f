import PingmeshModel
import Testing

@testable import PingmeshCollector

/// The minutes a fault begins and ends in hold it for part of the minute only: an incident keeps
/// the gravest kind its windows named, and its evidence the latest window's.
@Suite("Incident kind")
struct IncidentKindTests {
    static func finding(_ kind: Finding.Kind) -> Finding {
        Finding(
            kind: kind, component: .tor(name: "tor2", podset: "ps1"), confidence: 0.9, badPairs: 2, pairs: 10, ratio: 0.2,
            examples: ["a -> b: 6 of 6 lost"], explanation: "\(kind)")
    }

    @Test("a black hole seen as packet loss in its last, partial window resolves as a black hole")
    func keepsTheGravestKind() throws {
        let tracker = IncidentTracker(resolveAfter: 1)
        _ = tracker.record(window: 0, findings: [Self.finding(.packetLoss)])
        _ = tracker.record(window: 60, findings: [Self.finding(.blackHole)])
        _ = tracker.record(window: 120, findings: [Self.finding(.blackHole)])
        _ = tracker.record(window: 180, findings: [Self.finding(.packetLoss)])
        #expect(tracker.open.first?.kind == .blackHole)
        #expect(tracker.open.first?.evidence.kind == .packetLoss, "the evidence is the latest window's")
        #expect(tracker.open.first?.severity == .critical)
        let events = tracker.record(window: 240, findings: [])
        let resolved = try #require(events.first { $0.change == .resolved }?.incident)
        #expect(resolved.kind == .blackHole && resolved.endedAt == 240)
    }
}
