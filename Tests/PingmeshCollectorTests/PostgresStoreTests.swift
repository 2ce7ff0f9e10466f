import Foundation
import PingmeshCollector
import PingmeshModel
import PingmeshTestSupport
import Testing

/// The store conformance checks and PostgreSQL's own concerns (several replicas, URLs,
/// connection errors) against a real server: `PostgresServer` starts one per test process and
/// every test gets its own database. Without PostgreSQL installed those tests are skipped (failed
/// under CI); with it, a server that cannot start fails them.
@Suite("PostgreSQL store")
struct PostgresStoreTests {
    /// The conformance checks on a fresh database.
    static func conformance() async throws -> StoreConformance {
        let server = try await PostgresServer.shared()
        let url = try await server.createDatabase()
        return StoreConformance(
            open: {
                let store = try PostgresResultStore(url: url)
                do {
                    try await store.prepare()
                } catch {
                    await store.shutdown()
                    throw error
                }
                return store
            },
            close: { store in await (store as? PostgresResultStore)?.shutdown() })
    }

    /// A database as schema `version` (1 or 2) left it: server-pair minute rows in `pairs`,
    /// `rtt` as hex, nothing packed.
    static func oldLayout(
        _ server: PostgresServer, version: Int, minute: Int64, rows: [OldLayoutMigration.Row]
    ) async throws -> String {
        let url = try await server.createDatabase()
        let store = try PostgresResultStore(url: url)
        try await store.prepare()
        await store.shutdown()
        var sql = "DELETE FROM schema_version WHERE version > \(version);"
        for row in rows {
            sql += """
                INSERT INTO names (name) VALUES ('\(row.source)'), ('\(row.destination)') ON CONFLICT DO NOTHING;
                INSERT INTO pairs (resolution, level, minute, src, dst, kind, ok, slow, timeout, refused, unreachable, error, rtt)
                SELECT 0, 0, \(minute / 60), (SELECT id FROM names WHERE name = '\(row.source)'), (SELECT id FROM names WHERE name = '\(row.destination)'),
                  \(row.kind), \(row.ok), 0, \(row.timeout), 0, 0, 0, \(row.rttHex.map { "'\\x\($0)'" } ?? "NULL");
                """
        }
        try await server.execute(sql, in: url)
        return url
    }

    @Test(
        "a schema 1 database (legacy sketches) is migrated on open (sketches re-encoded, then packed), every sketch intact",
        .requires(.postgreSQL))
    func migratesLegacySketches() async throws {
        let server = try await PostgresServer.shared()
        let minute = BatchFactory.minute(2)
        let rtts: [UInt64] = [100, 150, 150, 200, 4_000, 90_000]
        let url = try await Self.oldLayout(
            server, version: 1, minute: minute, rows: [("a1", "b1", ProbeKind.tcp.code, rtts.count, 0, BatchFactory.legacyHex(BatchFactory.sketch(rtts)))])
        for _ in 0..<2 {
            let store = try PostgresResultStore(url: url)
            try await store.prepare()
            let rows = try await store.aggregates(level: .server, resolution: .minute, from: minute, to: minute + 60)
            await store.shutdown()
            #expect(rows.map(\.rtt) == [BatchFactory.sketch(rtts)])
        }
    }

    @Test(
        "a schema 2 database's server-pair minutes are packed per source on open: same rows, none left in pairs, new batches merge in",
        .requires(.postgreSQL))
    func packsServerMinutesOfSchema2() async throws {
        let server = try await PostgresServer.shared()
        let url = try await Self.oldLayout(server, version: 2, minute: OldLayoutMigration.minute, rows: OldLayoutMigration.rows)
        let store = try PostgresResultStore(url: url)
        try await store.prepare()
        try await OldLayoutMigration.check(store)
        await store.shutdown()
        let left = try await server.execute("SELECT count(*) FROM pairs WHERE level = 0 AND resolution = 0", in: url)
        // psql prints the count alone on its line.
        #expect(left.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.contains("0"), "\(left)")
    }

    @Test("a batch is stored once: its id again is acknowledged as a duplicate and nothing doubles", .requires(.postgreSQL))
    func duplicateBatch() async throws {
        try await Self.conformance().duplicateBatchIsIgnored()
    }

    @Test("two batches with the same pair and minute add up, counts and sketch samples", .requires(.postgreSQL))
    func sameKeyAddsUp() async throws {
        try await Self.conformance().sameKeyAddsUp()
    }

    @Test("20 tasks x 5 batches into the same pair keys through one store lose nothing", .requires(.postgreSQL))
    func concurrentIngests() async throws {
        try await Self.conformance().concurrentIngestsLoseNothing(tasks: 20, batchesPerTask: 5, replicas: 1)
    }

    @Test("20 tasks x 5 batches into the same pair keys through 4 replicas lose nothing", .requires(.postgreSQL))
    func concurrentIngestsFromReplicas() async throws {
        try await Self.conformance().concurrentIngestsLoseNothing(tasks: 20, batchesPerTask: 5, replicas: 4)
    }

    @Test("replaceAggregates replaces one level, resolution and window, nothing else", .requires(.postgreSQL))
    func replaceAggregates() async throws {
        try await Self.conformance().replaceAggregatesReplacesOneWindow()
    }

    @Test("40 replacements of one window through 4 replicas at once leave one whole result", .requires(.postgreSQL))
    func concurrentReplacements() async throws {
        try await Self.conformance().concurrentReplacementsKeepOneWholeResult(tasks: 40, replicas: 4)
    }

    @Test("dirty windows: oldest first, generations, a stale clear is a no-op", .requires(.postgreSQL))
    func dirtyGenerations() async throws {
        try await Self.conformance().dirtyGenerations()
    }

    @Test("failures by source, destination and time, newest first, every field kept", .requires(.postgreSQL))
    func failures() async throws {
        try await Self.conformance().failureQueries()
    }

    @Test("agents in byte order with their latest upload", .requires(.postgreSQL))
    func agents() async throws {
        try await Self.conformance().agentsKeepTheirLatestUpload()
    }

    @Test("placements follow the latest batch", .requires(.postgreSQL))
    func placements() async throws {
        try await Self.conformance().placementsFollowTheLatestBatch()
    }

    @Test("retention deletes old rows only and counts them", .requires(.postgreSQL))
    func retention() async throws {
        try await Self.conformance().retentionDeletesOnlyOldRows()
    }

    @Test("a new store object on the same database sees everything and adds to it", .requires(.postgreSQL))
    func restart() async throws {
        try await Self.conformance().restartKeepsEverything()
    }

    @Test("named documents keep their latest version; a lease has one holder until it expires or is released", .requires(.postgreSQL))
    func stateAndLeases() async throws {
        try await Self.conformance().stateAndLeases()
    }

    @Test("4 replicas asking for a free lease at once: exactly one gets it", .requires(.postgreSQL))
    func leaseHasOneHolder() async throws {
        try await Self.conformance().leaseHasOneHolder(replicas: 4)
    }

    @Test("4 replicas preparing an empty database at once", .requires(.postgreSQL))
    func concurrentPrepare() async throws {
        try await Self.conformance().concurrentPrepare(replicas: 4)
    }

    @Test("compact rows (packed by the database, read in parallel parts) equal the decoded rows", .requires(.postgreSQL))
    func compactAggregates() async throws {
        try await Self.conformance().compactAggregatesMatchAggregates()
    }

    @Test("unresolved counts are kept at every level, by both reads", .requires(.postgreSQL))
    func unresolvedCounts() async throws {
        try await Self.conformance().unresolvedCountsKept()
    }

    @Test(
        "a schema 3 database (pairs without unresolved) gets the column on open: old rows read with none, new ones keep theirs",
        .requires(.postgreSQL))
    func addsUnresolvedColumnToSchema3() async throws {
        let server = try await PostgresServer.shared()
        let url = try await server.createDatabase()
        let minute = OldLayoutMigration.minute
        let first = try PostgresResultStore(url: url)
        try await first.prepare()
        try await first.replaceAggregates(level: .tor, resolution: .minute, window: minute, with: [UnresolvedMigration.oldRow(minute: minute)])
        await first.shutdown()
        // As schema 3 left it: no column, version 3.
        try await server.execute("ALTER TABLE pairs DROP COLUMN unresolved; DELETE FROM schema_version WHERE version > 3;", in: url)

        for _ in 0..<2 {
            let store = try PostgresResultStore(url: url)
            try await store.prepare()
            try await UnresolvedMigration.check(store, minute: minute)
            await store.shutdown()
        }
        let version = try await server.execute("SELECT max(version) FROM schema_version", in: url)
        #expect(version.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.contains("7"), "\(version)")
    }

    @Test("per-port counts of one window, names resolved", .requires(.postgreSQL))
    func portRows() async throws {
        try await Self.conformance().portRowsOfAWindow()
    }

    @Test("StoreFactory opens --store postgres://... prepared and ready", .requires(.postgreSQL))
    func factory() async throws {
        let server = try await PostgresServer.shared()
        let url = try await server.createDatabase()
        let store = try await StoreFactory.open(try StoreLocation(parsing: url), logger: .init(label: "test"))
        let postgres = try #require(store as? PostgresResultStore)
        #expect(try await store.ingest(StoreConformance.batch(id: "f-1")))
        #expect(try await store.agents().map(\.name) == ["s1"])
        await postgres.shutdown()
    }

    @Test("an unreachable server fails prepare at once, naming --store and without the password")
    func unreachable() async throws {
        // A port that was free a moment ago: nothing listens there.
        let port = try { () throws -> Int in
            let (socket, port) = try BlockingSocket.listener(backlog: 1)
            _ = socket
            return port
        }()
        let store = try PostgresResultStore(url: "postgres://pingmesh:secret@127.0.0.1:\(port)/pingmesh")
        let started = ContinuousClock.now
        let error = await #expect(throws: StoreError.self) { try await store.prepare() }
        #expect(ContinuousClock.now - started < .seconds(10))
        let message = error?.message ?? ""
        #expect(message.contains("--store"))
        #expect(message.contains("127.0.0.1:\(port)"))
        #expect(!message.contains("secret"))
        await store.shutdown()
    }

    @Test(
        "a malformed --store URL is rejected with the reason, never the password",
        arguments: [
            ("postgres://127.0.0.1:5432/pingmesh", "no user"),
            ("postgres://user:secret@:5432/pingmesh", "no host"),
            ("postgres://user:secret@host:99999/pingmesh", "port"),
            ("postgres://user:secret@host/pingmesh/extra", "one segment"),
            ("postgres://user:secret@host/pingmesh?sslmode=prefer", "sslmode=prefer is not one of disable, require, verify-ca, verify-full"),
            ("postgres://user:secret@host/pingmesh?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem", "sslrootcert=/nonexistent/ca.pem cannot be read"),
            ("postgres://user:secret@host/pingmesh?sslmode=verify-full&sslrootcert=/etc/passwd", "holds no PEM certificate"),
            ("postgres://user:secret@host/pingmesh?sslmode=require&sslrootcert=/etc/passwd", "holds no PEM certificate"),
            ("postgres://user:secret@host/pingmesh?pool_max_conns=0", "pool_max_conns"),
            ("postgres://user:secret@host/pingmesh?bogus=1", "unknown URL parameter 'bogus'"),
            ("mysql://user:secret@host/pingmesh", "not a PostgreSQL URL"),
        ])
    func badURL(url: String, reason: String) throws {
        let error = #expect(throws: StoreError.self) { try PostgresResultStore(url: url) }
        let message = error?.message ?? ""
        #expect(message.hasPrefix("--store"), "\(message)")
        #expect(message.contains(reason), "\(message)")
        #expect(!message.contains("secret"), "\(message)")
    }

    @Test("a good URL: user, password, host, port, database and parameters are accepted")
    func goodURLs() async throws {
        for url in [
            "postgres://user:p%40ss@127.0.0.1:5433/pingmesh", "postgresql://user@db.example/pingmesh?sslmode=disable&pool_max_conns=4",
            "postgres://user@[::1]:5432/pingmesh", "postgres://user@localhost",
        ] {
            let store = try PostgresResultStore(url: url)
            #expect(!store.location.contains("p%40ss"))
            await store.shutdown()
        }
    }
}
