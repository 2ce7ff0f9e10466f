import Foundation
import PingmeshCollector
import PingmeshModel
import Testing

/// The matrix query's fast path (ids, sketches read from their bytes) against a plain reference
/// computed from decoded rows, on cells of one row and of several windows and kinds.
@Suite("Matrix query")
struct MatrixQueryTests {
    /// The store's rows as they are, answering `compactAggregates` the slow, obvious way.
    struct Reference: Sendable {
        let store: SQLiteResultStore

        func matrix(statistic: Statistic, from: Int64, to: Int64, kind: ProbeKind?) async throws -> [String: Double?] {
            var cells: [String: (ResultCounts, LatencySketch)] = [:]
            for row in try await store.aggregates(level: .server, resolution: .minute, from: from, to: to) where kind == nil || row.kind == kind {
                var cell = cells["\(row.source)>\(row.destination)"] ?? (ResultCounts(), LatencySketch())
                cell.0.add(row.counts)
                cell.1.merge(row.rtt)
                cells["\(row.source)>\(row.destination)"] = cell
            }
            return cells.mapValues { statistic.value(of: $0.0, rtt: $0.1) }
        }
    }

    @Test("every statistic of every cell equals the merged rows' figure", arguments: Statistic.allCases)
    func matchesReference(_ statistic: Statistic) async throws {
        let store = try await TemporaryStore.sqlite()
        var random = SystemRandomNumberGenerator()
        let first = BatchFactory.minute(5)
        for minute in 0..<3 {
            for agent in 0..<6 {
                var windows: [WindowSummary] = []
                for peer in 0..<6 where peer != agent && (minute == 0 || peer % 2 == 0) {
                    let rtts = (0..<Int.random(in: 1...20, using: &random)).map { _ in UInt64.random(in: 50...5_000, using: &random) }
                    windows.append(BatchFactory.summary(to: "s\(peer)", start: first + Int64(minute) * 60, rtts: rtts, timeouts: UInt64(peer % 3)))
                }
                if agent == 0 {
                    // A second kind for one pair: its cell merges rows of both kinds unless a kind is asked for.
                    var udp = BatchFactory.summary(to: "s1", start: first, rtts: [9_000, 9_500])
                    udp.kind = .udp
                    windows.append(udp)
                }
                _ = try await store.ingest(IngestBatch(BatchFactory.batch(agent: "s\(agent)", windows: windows), receivedAt: BatchFactory.now * 1000))
            }
        }
        let queries = ResultQueries(store: store)
        for (from, to, kind) in [(first, first + 60, nil), (first, first + 180, nil), (first, first + 180, ProbeKind.tcp)] as [(Int64, Int64, ProbeKind?)] {
            let matrix = try await queries.matrix(level: .server, statistic: statistic, from: from, to: to, resolution: .minute, kind: kind)
            let expected = try await Reference(store: store).matrix(statistic: statistic, from: from, to: to, kind: kind)
            #expect(matrix.cells.count == expected.count)
            for cell in matrix.cells {
                let key = "\(matrix.sources[cell.source])>\(matrix.destinations[cell.destination])"
                #expect(expected[key] == .some(cell.value), "\(statistic) \(key) from \(from) to \(to)")
            }
            #expect(matrix.sources == matrix.sources.sorted())
        }
    }
}
