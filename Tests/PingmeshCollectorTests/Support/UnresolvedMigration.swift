import PingmeshCollector
import PingmeshModel
import Testing

/// Schema 4 added the `unresolved` column to `pairs`: what a store made before it must read
/// after opening, the same for SQLite and PostgreSQL.
enum UnresolvedMigration {
    /// A ToR-level row as schema 3 stored it (a level kept in `pairs`).
    static func oldRow(minute: Int64) -> PairAggregate {
        PairAggregate(
            level: .tor, resolution: .minute, window: minute, source: "t1", destination: "t2", kind: .tcp,
            counts: ResultCounts(ok: 3, timeout: 2), rtt: StoreConformance.sketch([100, 200, 300]))
    }

    /// The old row reads as it was, with no unresolved probes, by both reads; a row written now
    /// keeps its unresolved count.
    static func check(_ store: any ResultStore, minute: Int64) async throws {
        let old = try await store.aggregates(level: .tor, resolution: .minute, from: minute, to: minute + 60)
        #expect(old == [oldRow(minute: minute)])
        let compact = try await store.compactAggregates(level: .tor, resolution: .minute, from: minute, to: minute + 60)
        #expect(compact.rows.map(\.counts) == [ResultCounts(ok: 3, timeout: 2)])

        var new = oldRow(minute: minute + 60)
        new.counts.unresolved = 7
        try await store.replaceAggregates(level: .tor, resolution: .minute, window: minute + 60, with: [new])
        #expect(try await store.aggregates(level: .tor, resolution: .minute, from: minute + 60, to: minute + 120) == [new])
    }
}
