import PingmeshModel
import Testing

@testable import PingmeshCollector

@Suite("Matrix builder")
struct MatrixBuilderTests {
    /// The same rows under small ids (flat tables) and under huge ids (the dictionary path).
    static func rows(idOffset: Int64) -> CompactAggregates {
        var compact = CompactAggregates()
        let names = ["c", "a", "d", "b"]
        for (index, name) in names.enumerated() { compact.names[Int64(index) + idOffset] = name }
        let pairs: [(Int64, Int64, UInt64)] = [(0, 1, 3), (2, 3, 1), (0, 1, 2), (3, 0, 5), (1, 2, 4), (0, 3, 1)]
        for (window, (source, destination, ok)) in pairs.enumerated() {
            compact.append(
                window: Int64(window) * 60, source: source + idOffset, destination: destination + idOffset, kind: .tcp,
                counts: ResultCounts(ok: ok, timeout: 1), encoded: LatencySketch().encoded())
        }
        return compact
    }

    static func summary(_ builder: MatrixBuilder, _ compact: CompactAggregates) -> [String] {
        builder.cells.map { cell in
            let source = compact.names[builder.sources[cell.slot / builder.destinations.count]]!
            let destination = compact.names[builder.destinations[cell.slot % builder.destinations.count]]!
            return "\(source)>\(destination) ok=\(cell.counts.ok) rows=\(1 + builder.moreRows(of: cell).count)"
        }
    }

    @Test("flat tables and the dictionary path give the same cells, in name order, repeated pairs merged")
    func bothPaths() {
        let small = Self.rows(idOffset: 1)
        let huge = Self.rows(idOffset: 1 << 40)
        let flat = MatrixBuilder(small, kind: nil)
        let hashed = MatrixBuilder(huge, kind: nil)
        let expected = ["a>d ok=4 rows=1", "b>c ok=5 rows=1", "c>a ok=5 rows=2", "c>b ok=1 rows=1", "d>b ok=1 rows=1"]
        #expect(Self.summary(flat, small) == expected)
        #expect(Self.summary(hashed, huge) == expected)
        #expect(MatrixBuilder(small, kind: .udp).cells.isEmpty)
    }
}
