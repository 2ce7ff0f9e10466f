import Foundation
import Logging
import NIOCore
import PingmeshModel
import PostgresNIO
import Synchronization

/// The store for several collector replicas on one PostgreSQL database, through postgres-nio's
/// connection pool. Same rows and semantics as `SQLiteResultStore`; what differs is how
/// concurrent writers are kept from losing each other's work: every write is one transaction
/// that takes row locks in one global order (see `ingest`), deadlocks and unique races that
/// PostgreSQL reports anyway are retried whole, and migrations and rollup replacements are
/// serialised by transaction-scoped advisory locks.
public final class PostgresResultStore: ResultStore {
    let client: PostgresClient
    let logger: Logger
    private let url: PostgresStoreURL
    private let runner: Task<Void, Never>
    /// name -> id; ids never change once committed, so the cache is only ever added to.
    let names = Mutex<[String: Int64]>([:])

    /// Where the store is, without the password.
    public let location: String

    /// Opens a pool on `url` (postgres://USER:PASSWORD@HOST:PORT/DATABASE); connections are made
    /// on first use, so this only checks the URL. Call `prepare()` before anything else, and
    /// `shutdown()` when done.
    public init(url: String, logger: Logger = Logger(label: "pingmesh.store.postgres")) throws {
        let parsed = try PostgresStoreURL(parsing: url)
        self.url = parsed
        self.logger = logger
        self.location = StoreLocation.postgres(url: url).description
        var configuration = PostgresClient.Configuration(
            host: parsed.host, port: parsed.port, username: parsed.username, password: parsed.password, database: parsed.database,
            tls: parsed.clientTLS)
        configuration.options.maximumConnections = parsed.maximumConnections
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        // The pool only hands out connections while run() runs; the store owns that task.
        runner = Task.detached { await client.run() }
    }

    deinit { runner.cancel() }

    /// Closes the pool's connections. Calls after this fail.
    public func close() async { await shutdown() }

    public func shutdown() async {
        runner.cancel()
        await runner.value
    }

    // MARK: Schema

    public func prepare() async throws {
        // One dedicated connection rather than the pool: a wrong host or password fails here at
        // once with PostgreSQL's reason, instead of after the pool's minute of retries.
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: .init(
                    host: url.host, port: url.port, username: url.username, password: url.password, database: url.database,
                    tls: try url.connectionTLS()),
                id: 0, logger: logger)
        } catch {
            throw StoreError(message: "--store \(location): cannot connect: \(Self.describe(error))")
        }
        do {
            try await migrate(connection)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw StoreError(message: "--store \(location): preparing the schema failed: \(Self.describe(error))")
        }
    }

    private func migrate(_ connection: PostgresConnection) async throws {
        let logger = logger
        try await connection.withTransaction(logger: logger) { connection in
            // Replicas starting together queue here; the first migrates, the others then find
            // the version current. The lock ends with the transaction.
            try await connection.run("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLockKey))", logger: logger)
            try await connection.run(PostgresQuery(unsafeSQL: PostgresSchema.versionTable), logger: logger)
            var current: Int32 = 0
            for try await version in try await connection.query("SELECT coalesce(max(version), 0) FROM schema_version", logger: logger)
                .decode(Int32.self)
            {
                current = version
            }
            if current > PostgresSchema.latestVersion {
                logger.warning(
                    "database schema is newer than this build; running anyway",
                    metadata: ["schema_version": "\(current)", "known_version": "\(PostgresSchema.latestVersion)"])
            }
            for migration in PostgresSchema.migrations where migration.version > current {
                for statement in migration.statements {
                    try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                if migration.version == 2 && current >= 1 { try await Self.reencodeLegacySketches(connection, logger: logger) }
                if migration.version == 3 && current >= 1 { try await Self.packServerMinutes(connection, logger: logger) }
                try await connection.run("INSERT INTO schema_version (version) VALUES (\(migration.version))", logger: logger)
                logger.info("store schema migrated", metadata: ["schema_version": "\(migration.version)"])
            }
        }
    }

    /// Rewrites every sketch stored in the legacy varint form (schema 1) in the current form.
    private static func reencodeLegacySketches(_ connection: PostgresConnection, logger: Logger) async throws {
        var rewritten: [(Int16, Int16, Int32, Int64, Int64, Int16, ByteBuffer)] = []
        let rows = try await connection.query(
            "SELECT resolution, level, minute, src, dst, kind, rtt FROM pairs WHERE rtt IS NOT NULL AND length(rtt) > 0", logger: logger)
        for try await (resolution, level, minute, source, destination, kind, rtt) in rows.decode(
            (Int16, Int16, Int32, Int64, Int64, Int16, ByteBuffer).self)
        {
            let sketch = try LatencySketch(legacyEncoded: rtt.readableBytesView)
            rewritten.append((resolution, level, minute, source, destination, kind, ByteBuffer(bytes: sketch.encoded())))
        }
        for (resolution, level, minute, source, destination, kind, rtt) in rewritten {
            try await connection.query(
                """
                UPDATE pairs SET rtt = \(rtt) WHERE resolution = \(resolution) AND level = \(level) AND minute = \(minute)
                  AND src = \(source) AND dst = \(destination) AND kind = \(kind)
                """, logger: logger)
        }
    }

    // MARK: Reads

    public func aggregates(level: TopologyLevel, resolution: Resolution, from: Int64, to: Int64) async throws -> [PairAggregate] {
        if Self.isServerMinute(level: level, resolution: resolution) {
            let compact = try await compactAggregates(level: level, resolution: resolution, from: from, to: to)
            return try compact.rows.compactMap { row in
                guard let source = compact.names[row.source], let destination = compact.names[row.destination] else { return nil }
                return PairAggregate(
                    level: level, resolution: resolution, window: row.window, source: source, destination: destination, kind: row.kind,
                    counts: row.counts, rtt: try compact.sketch(of: row))
            }
        }
        return try await reading { connection, logger in
            let rows = try await connection.query(
                """
                SELECT p.minute, s.name, d.name, p.kind, p.ok, p.slow, p.timeout, p.refused, p.unreachable, p.error, p.rtt, p.unresolved,
                  p.retransmitted, p.syn_retransmits, p.jitter_pairs, p.jitter_ns
                FROM pairs p JOIN names s ON s.id = p.src JOIN names d ON d.id = p.dst
                WHERE p.resolution = \(Int16(resolution.code)) AND p.level = \(Int16(level.code))
                  AND p.minute >= \(Self.minuteCeiling(from)) AND p.minute < \(Self.minuteCeiling(to))
                ORDER BY p.minute, p.src, p.dst, p.kind
                """, logger: logger)
            var result: [PairAggregate] = []
            for try await (
                minute, source, destination, kind, ok, slow, timeout, refused, unreachable, error, rtt, unresolved, retransmitted, synRetransmits,
                jitterPairs, jitterNanoseconds
            ) in rows.decode(
                (Int64, String, String, Int, Int64, Int64, Int64, Int64, Int64, Int64, ByteBuffer?, Int64, Int64, Int64, Int64, Int64).self)
            {
                guard let kind = ProbeKind(code: kind) else { continue }
                result.append(
                    PairAggregate(
                        level: level, resolution: resolution, window: minute * 60, source: source, destination: destination, kind: kind,
                        counts: Self.counts(
                            ok, slow, timeout, refused, unreachable, error, unresolved, retransmitted, synRetransmits, jitterPairs, jitterNanoseconds),
                        rtt: try Self.sketch(rtt)))
            }
            return result
        }
    }

    public func dirtyWindows(resolution: Resolution, limit: Int) async throws -> [DirtyWindow] {
        try await reading { connection, logger in
            var windows: [DirtyWindow] = []
            let rows = try await connection.query(
                "SELECT minute, generation FROM dirty WHERE resolution = \(Int16(resolution.code)) ORDER BY minute LIMIT \(Int64(max(0, limit)))",
                logger: logger)
            for try await (minute, generation) in rows.decode((Int64, Int64).self) {
                windows.append(DirtyWindow(window: minute * 60, generation: generation))
            }
            return windows
        }
    }

    public func placements() async throws -> [String: [String: String]] {
        try await reading { connection, logger in
            var result: [String: [String: String]] = [:]
            for try await (name, labels) in try await connection.query("SELECT name, labels FROM placements", logger: logger).decode(
                (String, String).self)
            {
                result[name] = LabelsJSON.decode(labels)
            }
            return result
        }
    }

    public func failures(_ query: FailureQuery) async throws -> [StoredFailure] {
        // The SQL text is assembled from fixed fragments only; every value is a bind parameter.
        var binds = PostgresBindings()
        binds.append(query.from)
        binds.append(query.to)
        var sql = """
            SELECT f.at, s.name, d.name, f.target, f.kind, f.result, f.rtt_ns, f.source_port, f.detail
            FROM failures f JOIN names s ON s.id = f.src JOIN names d ON d.id = f.dst
            WHERE f.at >= $1 AND f.at < $2
            """
        if let source = query.source {
            binds.append(source)
            sql += " AND f.src = (SELECT id FROM names WHERE name = $\(binds.count))"
        }
        if let destination = query.destination {
            binds.append(destination)
            sql += " AND f.dst = (SELECT id FROM names WHERE name = $\(binds.count))"
        }
        binds.append(Int64(max(0, query.limit)))
        sql += " ORDER BY f.at DESC, f.id DESC LIMIT $\(binds.count)"
        let statement = PostgresQuery(unsafeSQL: sql, binds: binds)
        return try await reading { connection, logger in
            var result: [StoredFailure] = []
            for try await (at, source, destination, target, kind, resultClass, rtt, sourcePort, detail) in try await connection.query(
                statement, logger: logger
            ).decode((Int64, String, String, String, Int, String, Int64?, Int?, String?).self) {
                guard let kind = ProbeKind(code: kind), let resultClass = ProbeResultClass(rawValue: resultClass) else { continue }
                result.append(
                    StoredFailure(
                        source: source, destination: destination, target: target, kind: kind, result: resultClass, at: at, rttNanoseconds: rtt,
                        sourcePort: sourcePort, detail: detail))
            }
            return result
        }
    }

    public func agents() async throws -> [AgentRecord] {
        try await reading { connection, logger in
            var result: [AgentRecord] = []
            // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
            let rows = try await connection.query(
                """
                SELECT name, version, pinglist_version, labels, last_upload, last_batch_created FROM agents ORDER BY name COLLATE "C"
                """, logger: logger)
            for try await (name, version, pinglistVersion, labels, lastUpload, lastBatchCreated) in rows.decode(
                (String, String?, String?, String, Int64, Int64).self)
            {
                result.append(
                    AgentRecord(
                        name: name, version: version, pinglistVersion: pinglistVersion, labels: LabelsJSON.decode(labels), lastUpload: lastUpload,
                        lastBatchCreated: lastBatchCreated))
            }
            return result
        }
    }

    public func portRows(window: Int64) async throws -> [PortRow] {
        let minute = try Self.minute(window)
        return try await reading { connection, logger in
            var result: [PortRow] = []
            let rows = try await connection.query(
                """
                SELECT s.name, d.name, p.port, p.sent, p.failed FROM ports p
                JOIN names s ON s.id = p.src JOIN names d ON d.id = p.dst
                WHERE p.minute = \(minute) ORDER BY s.name COLLATE "C", d.name COLLATE "C", p.port
                """, logger: logger)
            for try await (source, destination, port, sent, failed) in rows.decode((String, String, Int32, Int64, Int64).self) {
                result.append(PortRow(window: window, source: source, destination: destination, port: Int(port), sent: UInt64(sent), failed: UInt64(failed)))
            }
            return result
        }
    }

    public func sizeBytes() async throws -> Int64 {
        try await reading { connection, logger in
            try await connection.single("SELECT pg_database_size(current_database())", as: Int64.self, logger: logger) ?? 0
        }
    }

    // MARK: Dirty windows

    public func markDirty(resolution: Resolution, windows: [Int64]) async throws {
        let minutes = try Self.uniqueMinutes(windows)
        guard !minutes.isEmpty else { return }
        try await writing { connection, logger in
            try await Self.markDirty(connection, resolution: resolution, minutes: minutes, logger: logger)
        }
    }

    /// Bumps the generation of each window, in ascending order (the lock order every writer uses).
    static func markDirty(_ connection: PostgresConnection, resolution: Resolution, minutes: [Int32], logger: Logger) async throws {
        try await connection.run(
            """
            INSERT INTO dirty (resolution, minute, generation)
            SELECT \(Int16(resolution.code)), m, 1 FROM unnest(\(minutes)::integer[]) AS m ORDER BY m
            ON CONFLICT (resolution, minute) DO UPDATE SET generation = dirty.generation + 1
            """, logger: logger)
    }

    public func clearDirty(resolution: Resolution, _ dirty: DirtyWindow) async throws {
        try await writing { connection, logger in
            try await connection.run(
                """
                DELETE FROM dirty WHERE resolution = \(Int16(resolution.code)) AND minute = \(dirty.window / 60)
                  AND generation = \(dirty.generation)
                """, logger: logger)
        }
    }

    // MARK: Retention

    public func enforceRetention(_ retention: Retention, now: Int64) async throws -> Int {
        try await writing { connection, logger in
            var deleted: Int64 = 0
            for resolution in Resolution.allCases {
                let cutoff = (now - retention.seconds(for: resolution)) / 60
                let code = Int16(resolution.code)
                deleted += try await connection.count(
                    "WITH gone AS (DELETE FROM pairs WHERE resolution = \(code) AND minute < \(cutoff) RETURNING 1) SELECT count(*) FROM gone",
                    logger: logger)
                try await connection.run("DELETE FROM dirty WHERE resolution = \(code) AND minute < \(cutoff)", logger: logger)
            }
            deleted += try await connection.count(
                "WITH gone AS (DELETE FROM server_minutes WHERE minute < \((now - retention.minute) / 60) RETURNING 1) SELECT count(*) FROM gone",
                logger: logger)
            deleted += try await connection.count(
                "WITH gone AS (DELETE FROM ports WHERE minute < \((now - retention.minute) / 60) RETURNING 1) SELECT count(*) FROM gone",
                logger: logger)
            deleted += try await connection.count(
                "WITH gone AS (DELETE FROM failures WHERE at < \((now - retention.failures) * 1000) RETURNING 1) SELECT count(*) FROM gone",
                logger: logger)
            // A batch older than the oldest window the collector accepts cannot come back.
            try await connection.run(
                "DELETE FROM batches WHERE received_at < \((now - ResultBatch.maximumAge - 86_400) * 1000)", logger: logger)
            return Int(deleted)
        }
    }

    // MARK: Transactions

    /// How often a transaction that PostgreSQL aborted for a transient reason is run again.
    static let maximumAttempts = 8

    /// Runs `body` in one transaction, committed before this returns. A deadlock, serialisation
    /// failure or unique race (another replica inserted the same key first) rolls everything
    /// back, so the whole transaction is simply run again.
    func writing<Result: Sendable>(_ body: (PostgresConnection, Logger) async throws -> Result) async throws -> Result {
        let logger = logger
        var attempt = 1
        while true {
            do {
                return try await client.withTransaction(logger: logger) { connection in try await body(connection, logger) }
            } catch where attempt < Self.maximumAttempts && Self.isTransient(error) {
                logger.debug("store transaction retried", metadata: ["attempt": "\(attempt)", "reason": "\(Self.describe(error))"])
                attempt += 1
                // Jitter, so that the transactions that collided do not collide again.
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 * attempt))))
            } catch {
                throw StoreError(message: "PostgreSQL store \(location): \(Self.describe(error))")
            }
        }
    }

    /// Runs `body` on a pooled connection outside any explicit transaction (each statement sees
    /// committed data as of its start).
    func reading<Result: Sendable>(_ body: (PostgresConnection, Logger) async throws -> Result) async throws -> Result {
        let logger = logger
        do {
            return try await client.withConnection { connection in try await body(connection, logger) }
        } catch {
            throw StoreError(message: "PostgreSQL store \(location): \(Self.describe(error))")
        }
    }

    /// SQLSTATEs after which running the transaction again is right: deadlock_detected,
    /// serialization_failure, unique_violation.
    static func isTransient(_ error: any Error) -> Bool {
        guard let state = sqlState(error) else { return false }
        return ["40P01", "40001", "23505"].contains(state)
    }

    private static func sqlState(_ error: any Error) -> String? {
        if let error = error as? PSQLError { return error.serverInfo?[.sqlState] }
        if let error = error as? PostgresTransactionError {
            for inner in [error.closureError, error.commitError, error.beginError] {
                if let inner, let state = sqlState(inner) { return state }
            }
        }
        return nil
    }

    /// PostgreSQL's own words for an error (postgres-nio's descriptions hide them on purpose).
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as StoreError:
            return error.message
        case let error as PSQLError:
            if let info = error.serverInfo {
                var text = info[.message] ?? "server error"
                if let detail = info[.detail] { text += " (\(detail))" }
                if let state = info[.sqlState] { text += " [SQLSTATE \(state)]" }
                return text
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        case let error as PostgresTransactionError:
            let inner = error.closureError ?? error.commitError ?? error.beginError ?? error.rollbackError
            return inner.map { describe($0) } ?? "transaction failed"
        case let error as SketchDecodingError:
            return "a stored latency sketch does not decode: \(error)"
        default:
            return "\(error)"
        }
    }

    // MARK: Conversions

    /// The later counts default to 0 for reads of rows from before they existed (the schema 3
    /// migration reads only the older six).
    static func counts(
        _ ok: Int64, _ slow: Int64, _ timeout: Int64, _ refused: Int64, _ unreachable: Int64, _ error: Int64, _ unresolved: Int64 = 0,
        _ retransmitted: Int64 = 0, _ synRetransmits: Int64 = 0, _ jitterPairs: Int64 = 0, _ jitterNanoseconds: Int64 = 0
    ) -> ResultCounts {
        func value(_ count: Int64) -> UInt64 { UInt64(max(0, count)) }
        return ResultCounts(
            ok: value(ok), slow: value(slow), timeout: value(timeout), refused: value(refused), unreachable: value(unreachable), error: value(error),
            unresolved: value(unresolved), retransmitted: value(retransmitted), synRetransmits: value(synRetransmits),
            jitterPairs: value(jitterPairs), jitterNanoseconds: value(jitterNanoseconds))
    }

    static func sketch(_ bytes: ByteBuffer?) throws -> LatencySketch {
        guard let bytes, bytes.readableBytes > 0 else { return LatencySketch() }
        return try LatencySketch(encoded: bytes.readableBytesView)
    }

    /// The bytes stored for a sketch; empty stands for NULL (arrays of bytea carry no NULLs, the
    /// SQL turns empty back into NULL).
    static func bytes(_ sketch: LatencySketch) -> ByteBuffer {
        sketch.isEmpty ? ByteBuffer() : ByteBuffer(bytes: sketch.encoded())
    }

    /// A window start as the Unix minute stored in an integer column.
    static func minute(_ window: Int64) throws -> Int32 {
        guard let minute = Int32(exactly: window / 60) else {
            throw StoreError(message: "window \(window) is outside the range the store keeps")
        }
        return minute
    }

    static func uniqueMinutes(_ windows: [Int64]) throws -> [Int32] {
        Array(Set(try windows.map(minute))).sorted()
    }

    /// The first whole minute at or after `time` (window bounds are minutes in the table).
    static func minuteCeiling(_ time: Int64) -> Int64 {
        time >= 0 ? time / 60 + (time % 60 == 0 ? 0 : 1) : time / 60
    }
}

extension PostgresConnection {
    /// Runs a statement and drains whatever it returns.
    func run(_ query: PostgresQuery, logger: Logger) async throws {
        for try await _ in try await self.query(query, logger: logger) {}
    }

    /// The first column of the first row, if any.
    func single<Value: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: Value.Type, logger: Logger) async throws -> Value? {
        var value: Value?
        for try await row in try await self.query(query, logger: logger).decode(Value.self) where value == nil {
            value = row
        }
        return value
    }

    /// A `SELECT count(*)` result.
    func count(_ query: PostgresQuery, logger: Logger) async throws -> Int64 {
        try await single(query, as: Int64.self, logger: logger) ?? 0
    }
}
