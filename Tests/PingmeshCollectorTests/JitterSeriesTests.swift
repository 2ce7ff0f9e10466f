import Foundation
import Testing

@testable import PingmeshCollector
@testable import PingmeshModel

/// The pair view's jitter: each window's mean absolute RTT difference of successive answered
/// probes, from the summaries' pairs and summed differences, at the server level and rolled up.
@Suite("Series: jitter")
struct JitterSeriesTests {
    static func summary(to peer: String, start: Int64, tor: String, pairs: UInt64, sumNanoseconds: UInt64) -> WindowSummary {
        var summary = BatchFactory.summary(to: peer, start: start, rtts: [100, 300, 200, 400], tor: tor)
        summary.counts.jitterPairs = pairs
        summary.counts.jitterNanoseconds = sumNanoseconds
        return summary
    }

    @Test("each window's jitter is its summed differences over its pairs, at the server level and the ToR level")
    func jitterPerWindow() async throws {
        let store = try await TemporaryStore.sqlite()
        let first = BatchFactory.minute(4)
        let second = first + 60
        for (agent, pairs, sum) in [("a1", UInt64(3), UInt64(600_000)), ("a2", 3, 300_000)] {
            _ = try await store.ingest(
                IngestBatch(
                    BatchFactory.batch(
                        agent: agent, labels: ["tor": "t1", "pod": "t1", "dc": "dc1", "podset": "ps1"],
                        windows: [
                            Self.summary(to: "b1", start: first, tor: "t2", pairs: pairs, sumNanoseconds: sum),
                            Self.summary(to: "b1", start: second, tor: "t2", pairs: 0, sumNanoseconds: 0),
                        ]), receivedAt: BatchFactory.now * 1000))
        }
        try await RollupEngine(store: store).runOnce()
        let queries = ResultQueries(store: store)

        let server = try await queries.series(level: .server, source: "a1", destination: "b1", from: first, to: second + 60)
        #expect(server.points.map(\.window) == [first, second])
        #expect(server.points.first?.jitter.map { abs($0 - 0.000_2) < 1e-12 } == true, "600 us over 3 pairs")
        #expect(server.points.last?.jitter == nil, "no two answered probes in a row: no jitter, not 0")

        let tor = try await queries.series(level: .tor, source: "t1", destination: "t2", from: first, to: second + 60)
        #expect(tor.points.first?.jitter.map { abs($0 - 0.000_15) < 1e-12 } == true, "900 us over 6 pairs of two servers")

        let json = String(decoding: try JSONEncoder().encode(server), as: UTF8.self)
        #expect(json.contains("\"jitter\":0.0002"))
    }
}
