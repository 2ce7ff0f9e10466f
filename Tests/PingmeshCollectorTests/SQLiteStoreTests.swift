import Foundation
import GRDB
import PingmeshCollector
import PingmeshModel
import Testing

@Suite("SQLite store, ingest and rollups")
struct SQLiteStoreTests {
    static func ingest(_ store: any ResultStore, _ batch: ResultBatch) async throws -> Bool {
        try await store.ingest(IngestBatch(batch, receivedAt: BatchFactory.now * 1000))
    }

    @Test("a batch is stored once: its id again is acknowledged and ignored")
    func duplicate() async throws {
        let store = try await TemporaryStore.sqlite()
        let minute = BatchFactory.minute(2)
        let batch = BatchFactory.batch(id: "batch-0001", agent: "a1", windows: [BatchFactory.summary(to: "b1", start: minute, rtts: [100, 150, 200])])
        #expect(try await Self.ingest(store, batch))
        #expect(try await !Self.ingest(store, batch))
        let rows = try await store.aggregates(level: .server, resolution: .minute, from: minute, to: minute + 60)
        #expect(rows.count == 1)
        #expect(rows.first?.counts.ok == 3)
        #expect(rows.first?.rtt.count == 3)
    }

    /// Writes server-pair minute rows the way schema 2 and earlier kept them (in `pairs`), with
    /// `rtt` given as SQL hex, and sets `version`.
    static func writeOldLayout(at path: String, version: Int, rows: [OldLayoutMigration.Row], minute: Int64) async throws {
        _ = try await TemporaryStore.sqlite(at: path)
        let database = try DatabaseQueue(path: path)
        try await database.write { db in
            for row in rows {
                for name in [row.source, row.destination] { try db.execute(sql: "INSERT OR IGNORE INTO names(name) VALUES (?)", arguments: [name]) }
                try db.execute(
                    sql: """
                        INSERT INTO pairs(resolution, level, minute, src, dst, kind, ok, slow, timeout, refused, unreachable, error, rtt)
                        VALUES (0, 0, ?, (SELECT id FROM names WHERE name = ?), (SELECT id FROM names WHERE name = ?), ?, ?, 0, ?, 0, 0, 0, \(row.rttHex.map { "X'\($0)'" } ?? "NULL"))
                        """, arguments: [minute / 60, row.source, row.destination, row.kind, row.ok, row.timeout])
            }
            try db.execute(sql: "PRAGMA user_version = \(version)")
        }
        try await database.close()
    }

    @Test("a store of the first release (legacy sketches, user_version 0) is migrated on open, every sketch intact")
    func migratesLegacySketches() async throws {
        let path = TemporaryStore.path()
        let minute = BatchFactory.minute(2)
        let rtts: [UInt64] = [100, 150, 150, 200, 4_000, 90_000]
        let legacy = BatchFactory.legacyHex(BatchFactory.sketch(rtts))
        try await Self.writeOldLayout(at: path, version: 0, rows: [("a1", "b1", ProbeKind.tcp.code, rtts.count, 0, legacy)], minute: minute)

        let store = try await TemporaryStore.sqlite(at: path)
        let rows = try await store.aggregates(level: .server, resolution: .minute, from: minute, to: minute + 60)
        #expect(rows.map(\.rtt) == [BatchFactory.sketch(rtts)])
        let version = try await DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "PRAGMA user_version") }
        #expect(version == 7)
        // Opening again changes nothing.
        let again = try await TemporaryStore.sqlite(at: path)
        #expect(try await again.aggregates(level: .server, resolution: .minute, from: minute, to: minute + 60).map(\.rtt) == [BatchFactory.sketch(rtts)])
    }

    @Test("a schema 2 store's server-pair minutes are packed per source on open: same rows, none left in pairs, new batches merge into them")
    func packsServerMinutesOfSchema2() async throws {
        let path = TemporaryStore.path()
        try await Self.writeOldLayout(at: path, version: 2, rows: OldLayoutMigration.rows, minute: OldLayoutMigration.minute)
        let store = try await TemporaryStore.sqlite(at: path)
        try await OldLayoutMigration.check(store)
        let left = try await DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM pairs WHERE level = 0 AND resolution = 0") }
        #expect(left == 0)
    }

    @Test("a schema 3 store (pairs without unresolved) gets the column on open: old rows read with none, new ones keep theirs")
    func addsUnresolvedColumnToSchema3() async throws {
        let path = TemporaryStore.path()
        let minute = OldLayoutMigration.minute
        try await TemporaryStore.sqlite(at: path).replaceAggregates(
            level: .tor, resolution: .minute, window: minute, with: [UnresolvedMigration.oldRow(minute: minute)])
        // As schema 3 left it: no column, user_version 3.
        let database = try DatabaseQueue(path: path)
        try await database.write { db in
            try db.execute(sql: "ALTER TABLE pairs DROP COLUMN unresolved")
            try db.execute(sql: "PRAGMA user_version = 3")
        }
        try await database.close()

        for _ in 0..<2 {
            try await UnresolvedMigration.check(try await TemporaryStore.sqlite(at: path), minute: minute)
        }
        let version = try await DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "PRAGMA user_version") }
        #expect(version == 7)
    }

    @Test("two batches for the same pair and minute add up (an agent restarted mid-window)")
    func splitWindowsAdd() async throws {
        let store = try await TemporaryStore.sqlite()
        let minute = BatchFactory.minute(3)
        _ = try await Self.ingest(store, BatchFactory.batch(agent: "a1", windows: [BatchFactory.summary(to: "b1", start: minute, rtts: [100, 110])]))
        _ = try await Self.ingest(
            store, BatchFactory.batch(agent: "a1", windows: [BatchFactory.summary(to: "b1", start: minute, rtts: [120], timeouts: 2)]))
        let rows = try await store.aggregates(level: .server, resolution: .minute, from: minute, to: minute + 60)
        #expect(rows.count == 1)
        #expect(rows.first?.counts == ResultCounts(ok: 3, timeout: 2))
        #expect(rows.first?.rtt.count == 3)
    }

    @Test("rollups: ToR, pod, podset and DC pairs per minute, then 10 min, 1 h and 1 day, with exact merged percentiles")
    func rollups() async throws {
        let store = try await TemporaryStore.sqlite()
        let tenMinutes = Resolution.tenMinutes.windowStart(BatchFactory.now) - 1200
        var expected = LatencySketch()
        var totalProbes: UInt64 = 0
        // Two ToRs with two servers each; every server probes every other, for five minutes.
        let servers = [("s1", "t1"), ("s2", "t1"), ("s3", "t2"), ("s4", "t2")]
        for offset in 0..<5 {
            let minute = tenMinutes + Int64(offset) * 60
            for (source, sourceToR) in servers {
                var windows: [WindowSummary] = []
                for (peer, peerToR) in servers where peer != source {
                    let base: UInt64 = sourceToR == peerToR ? 50 : 300
                    let rtts = (0..<6).map { base + UInt64($0 * 7 + offset) }
                    windows.append(BatchFactory.summary(to: peer, start: minute, rtts: rtts, tor: peerToR))
                    if sourceToR == "t1" && peerToR == "t2" { rtts.forEach { expected.record(microseconds: $0) } }
                    totalProbes += 6
                }
                _ = try await Self.ingest(store, BatchFactory.batch(agent: source, labels: ["tor": sourceToR, "pod": sourceToR, "dc": "dc1", "podset": "ps1"], windows: windows))
            }
        }
        let engine = RollupEngine(store: store)
        let report = try await engine.runOnce()
        #expect(report.windows == 5 + 1 + 1 + 1)
        #expect(try await store.dirtyWindows(resolution: .minute, limit: 10).isEmpty)

        let torMinutes = try await store.aggregates(level: .tor, resolution: .minute, from: tenMinutes, to: tenMinutes + 600)
        #expect(Set(torMinutes.map { "\($0.source)>\($0.destination)" }) == ["t1>t1", "t1>t2", "t2>t1", "t2>t2"])
        let torTen = try await store.aggregates(level: .tor, resolution: .tenMinutes, from: tenMinutes, to: tenMinutes + 600)
        let crossing = try #require(torTen.first { $0.source == "t1" && $0.destination == "t2" })
        #expect(crossing.rtt == expected, "the 10 min ToR row holds exactly the union of its samples")
        #expect(crossing.counts.ok == expected.count)
        let day = try await store.aggregates(level: .dc, resolution: .day, from: Resolution.day.windowStart(tenMinutes), to: tenMinutes + 86_400)
        #expect(day.count == 1)
        #expect(day.first?.counts.total == totalProbes)
        let hourServers = try await store.aggregates(
            level: .server, resolution: .hour, from: Resolution.hour.windowStart(tenMinutes), to: tenMinutes + 3600)
        #expect(hourServers.count == 12)

        // Running again changes nothing: rollups are replaced whole, never added twice.
        #expect(try await engine.runOnce().windows == 0)
        let again = try await store.aggregates(level: .dc, resolution: .day, from: Resolution.day.windowStart(tenMinutes), to: tenMinutes + 86_400)
        #expect(again == day)
    }

    @Test("late data (a spool draining after an outage) is folded into the windows it belongs to, at every level")
    func lateData() async throws {
        let store = try await TemporaryStore.sqlite()
        let minute = BatchFactory.minute(30)
        _ = try await Self.ingest(store, BatchFactory.batch(agent: "a1", labels: ["tor": "t1"], windows: [BatchFactory.summary(to: "b1", start: minute, rtts: [100], tor: "t2")]))
        let engine = RollupEngine(store: store)
        try await engine.runOnce()
        _ = try await Self.ingest(store, BatchFactory.batch(agent: "a1", labels: ["tor": "t1"], windows: [BatchFactory.summary(to: "b1", start: minute, rtts: [200, 300], tor: "t2")]))
        try await engine.runOnce()
        let hour = Resolution.hour.windowStart(minute)
        let rows = try await store.aggregates(level: .tor, resolution: .hour, from: hour, to: hour + 3600)
        #expect(rows.count == 1)
        #expect(rows.first?.counts.ok == 3)
    }

    @Test("retention drops what is older than each level keeps, and nothing newer")
    func retention() async throws {
        let store = try await TemporaryStore.sqlite()
        let old = BatchFactory.minute(60 * 24)
        let recent = BatchFactory.minute(5)
        _ = try await Self.ingest(
            store,
            BatchFactory.batch(
                agent: "a1", windows: [BatchFactory.summary(to: "b1", start: old, rtts: [100]), BatchFactory.summary(to: "b1", start: recent, rtts: [100])],
                failures: [FailureRecord(at: old * 1000, target: "tcp://b1:9301", name: "b1", kind: .tcp, result: .timeout)]))
        var retention = Retention()
        retention.minute = 3600
        retention.failures = 3600
        let deleted = try await store.enforceRetention(retention, now: BatchFactory.now)
        #expect(deleted == 2)
        let rows = try await store.aggregates(level: .server, resolution: .minute, from: old, to: BatchFactory.now + 60)
        #expect(rows.map(\.window) == [recent])
        #expect(try await store.failures(FailureQuery(from: 0, to: Int64.max)).isEmpty)
    }

    @Test("failures, placements and agents are kept and queried; a restarted store keeps everything")
    func restartKeepsHistory() async throws {
        let path = TemporaryStore.path()
        let minute = BatchFactory.minute(4)
        do {
            let store = try await TemporaryStore.sqlite(at: path)
            _ = try await Self.ingest(
                store,
                BatchFactory.batch(
                    agent: "a1", labels: ["tor": "t1", "dc": "dc1"], windows: [BatchFactory.summary(to: "b1", start: minute, rtts: [100], timeouts: 1, tor: "t2")],
                    failures: [
                        FailureRecord(at: minute * 1000 + 5, target: "tcp://b1:9301", name: "b1", kind: .tcp, result: .timeout, sourcePort: 40001, detail: "no answer")
                    ]))
        }
        let store = try await TemporaryStore.sqlite(at: path)
        let failures = try await store.failures(FailureQuery(source: "a1", destination: "b1", from: minute * 1000, to: (minute + 60) * 1000))
        #expect(failures.count == 1)
        #expect(failures.first?.sourcePort == 40001)
        #expect(try await store.failures(FailureQuery(source: "b1", from: 0, to: Int64.max)).isEmpty)
        let placements = try await store.placements()
        #expect(placements["a1"]?["tor"] == "t1")
        #expect(placements["b1"]?["tor"] == "t2")
        let agents = try await store.agents()
        #expect(agents.map(\.name) == ["a1"])
        #expect(agents.first?.pinglistVersion == "v1")
        #expect(try await store.aggregates(level: .server, resolution: .minute, from: minute, to: minute + 60).count == 1)
    }
}
