import Foundation
import GRDB
import GRDBSQLite
import PingmeshModel
import Synchronization

/// The embedded store: one SQLite file through GRDB, in WAL mode with full fsync, so a batch is
/// acknowledged only once it is on disk. Names (servers, ToRs, ...) are interned as integers. The
/// 1-minute server level, nearly all the volume, is packed per minute, source and kind
/// (`server_minutes`, see `SQLiteResultStore+ServerMinutes`); every other level and resolution is
/// a WITHOUT ROWID table keyed by (resolution, level, minute, source, destination, kind).
public final class SQLiteResultStore: ResultStore {
    let pool: DatabasePool
    public let path: String
    /// name -> id; ids never change once committed, so the cache is only ever added to.
    private let names = Mutex<[String: Int64]>([:])
    /// Placements this store last wrote, so a batch repeating them (every batch names its
    /// agent's peers) writes nothing: re-encoding and re-writing 300 unchanged placements per
    /// batch was a third of ingest time. Only this process writes an SQLite store.
    private let writtenPlacements = Mutex<[String: [String: String]]>([:])

    public init(path: String) throws {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // FULL: a commit survives power loss, which is what the acknowledgement promises.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
    }

    public func prepare() async throws {
        try await pool.write { db in
            // user_version 0 with tables is a schema-1 store (sketches in the legacy varint form).
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            let existed = try db.tableExists("pairs")
            for statement in SQLiteSchema.statements { try db.execute(sql: statement) }
            // Asked of the table, not of user_version: the column must exist before any query names it.
            try SQLiteSchema.addLaterCountColumns(db)
            guard version < SQLiteSchema.version else { return }
            if existed && version < 2 { try Self.reencodeLegacySketches(db) }
            if existed && version < 3 { try Self.packServerMinutes(db) }
            try db.execute(sql: "PRAGMA user_version = \(SQLiteSchema.version)")
        }
    }

    /// Schema 2 changed the sketch encoding: every stored sketch is rewritten, in the same
    /// transaction as the version bump, so a crash leaves either all old or all new.
    private static func reencodeLegacySketches(_ db: Database) throws {
        let rows = try Row.fetchAll(
            db, sql: "SELECT resolution, level, minute, src, dst, kind, rtt FROM pairs WHERE rtt IS NOT NULL AND length(rtt) > 0")
        for row in rows {
            let legacy: Data = row[6]
            try db.execute(
                sql: "UPDATE pairs SET rtt = ? WHERE resolution = ? AND level = ? AND minute = ? AND src = ? AND dst = ? AND kind = ?",
                arguments: [
                    Data(try LatencySketch(legacyEncoded: legacy).encoded()), row[0], row[1], row[2], row[3], row[4], row[5],
                ])
        }
    }

    public func ingest(_ batch: IngestBatch) async throws -> Bool {
        let known = names.withLock { $0 }
        let placements = writtenPlacements.withLock { written in batch.placements.filter { written[$0.key] != $0.value } }
        let (stored, added) = try await pool.write { db -> (Bool, [String: Int64]) in
            // Cached statements: parsing and authorising the same SQL for every row cost more
            // than running it.
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO batches(id, agent, received_at) VALUES (?, ?, ?)")
                .execute(arguments: [batch.id, batch.agent.name, batch.agent.lastUpload])
            guard db.changesCount == 1 else { return (false, [:]) }
            var interner = NameInterner(known: known)
            let serverMinutes = batch.rows.filter { Self.isServerMinute(level: $0.level, resolution: $0.resolution) }
            try Self.addServerMinutes(serverMinutes, db: db, interner: &interner)
            for row in batch.rows where !Self.isServerMinute(level: row.level, resolution: row.resolution) {
                try Self.add(row, db: db, interner: &interner)
            }
            let failure = try db.cachedStatement(
                sql: """
                    INSERT INTO failures(at, src, dst, target, kind, result, rtt_ns, source_port, detail)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for record in batch.failures {
                try failure.execute(arguments: [
                    record.at, try interner.id(record.source, db: db), try interner.id(record.destination, db: db), record.target,
                    record.kind.code, record.result.rawValue, record.rttNanoseconds, record.sourcePort, record.detail,
                ])
            }
            let portRow = try db.cachedStatement(
                sql: """
                    INSERT INTO ports(minute, src, dst, port, sent, failed) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(minute, src, dst, port) DO UPDATE SET sent = sent + excluded.sent, failed = failed + excluded.failed
                    """)
            for port in batch.ports {
                try portRow.execute(arguments: [
                    port.window / 60, try interner.id(port.source, db: db), try interner.id(port.destination, db: db), port.port,
                    Int64(clamping: port.sent), Int64(clamping: port.failed),
                ])
            }
            let placement = try db.cachedStatement(
                sql: """
                    INSERT INTO placements(name, labels, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET labels = excluded.labels, updated_at = excluded.updated_at
                    WHERE placements.labels != excluded.labels
                    """)
            for (name, labels) in placements {
                try placement.execute(arguments: [name, try LabelsJSON.encode(labels), batch.agent.lastUpload])
            }
            let agent = batch.agent
            try db.cachedStatement(
                sql: """
                    INSERT INTO agents(name, version, pinglist_version, labels, last_upload, last_batch_created) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET version = excluded.version, pinglist_version = excluded.pinglist_version,
                      labels = excluded.labels, last_upload = excluded.last_upload,
                      last_batch_created = max(last_batch_created, excluded.last_batch_created)
                    """
            ).execute(arguments: [
                agent.name, agent.version, agent.pinglistVersion, try LabelsJSON.encode(agent.labels), agent.lastUpload, agent.lastBatchCreated,
            ])
            for window in batch.minuteWindows {
                try Self.markDirty(db: db, resolution: .minute, window: window)
            }
            return (true, interner.added)
        }
        // Only after the commit: a rolled-back write must not be remembered as written.
        if !added.isEmpty { names.withLock { $0.merge(added) { old, _ in old } } }
        if stored, !placements.isEmpty { writtenPlacements.withLock { $0.merge(placements) { _, new in new } } }
        return stored
    }

    /// Adds a row to any row of the same key (late data and split windows merge, never clash).
    /// The common case, a new key, is one cached INSERT; only a clash reads and merges.
    private static func add(_ row: PairAggregate, db: Database, interner: inout NameInterner) throws {
        let key: StatementArguments = [
            row.resolution.code, row.level.code, row.window / 60, try interner.id(row.source, db: db),
            try interner.id(row.destination, db: db), row.kind.code,
        ]
        let fresh = try db.cachedStatement(
            sql: """
                INSERT INTO pairs(resolution, level, minute, src, dst, kind, ok, slow, timeout, refused, unreachable, error, rtt, unresolved,
                  retransmitted, syn_retransmits, jitter_pairs, jitter_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """)
        try fresh.execute(arguments: key + values(of: row))
        guard db.changesCount == 0 else { return }
        var merged = row
        let existing = try Row.fetchOne(
            try db.cachedStatement(
                sql: "SELECT ok, slow, timeout, refused, unreachable, error, rtt, unresolved, retransmitted, syn_retransmits, jitter_pairs, jitter_ns FROM pairs WHERE resolution = ? AND level = ? AND minute = ? AND src = ? AND dst = ? AND kind = ?"),
            arguments: key)
        if let existing {
            merged.counts.add(Self.counts(existing, from: 0, laterAt: 7))
            merged.rtt.merge(try Self.sketch(existing[6]))
        }
        try db.cachedStatement(
            sql: """
                UPDATE pairs SET ok = ?, slow = ?, timeout = ?, refused = ?, unreachable = ?, error = ?, rtt = ?, unresolved = ?,
                  retransmitted = ?, syn_retransmits = ?, jitter_pairs = ?, jitter_ns = ?
                WHERE resolution = ? AND level = ? AND minute = ? AND src = ? AND dst = ? AND kind = ?
                """
        ).execute(arguments: values(of: merged) + key)
    }

    private static func values(of row: PairAggregate) -> StatementArguments {
        let counts = row.counts
        return [
            Int64(clamping: counts.ok), Int64(clamping: counts.slow), Int64(clamping: counts.timeout), Int64(clamping: counts.refused),
            Int64(clamping: counts.unreachable), Int64(clamping: counts.error), row.rtt.isEmpty ? nil : Data(row.rtt.encoded()),
            Int64(clamping: counts.unresolved), Int64(clamping: counts.retransmitted), Int64(clamping: counts.synRetransmits),
            Int64(clamping: counts.jitterPairs), Int64(clamping: counts.jitterNanoseconds),
        ]
    }

    private static func insert(_ row: PairAggregate, key: StatementArguments, db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO pairs(resolution, level, minute, src, dst, kind, ok, slow, timeout, refused, unreachable, error, rtt, unresolved,
                  retransmitted, syn_retransmits, jitter_pairs, jitter_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: key + values(of: row))
    }

    public func aggregates(level: TopologyLevel, resolution: Resolution, from: Int64, to: Int64) async throws -> [PairAggregate] {
        try await pool.read { db in
            let names = try Self.nameTable(db)
            if Self.isServerMinute(level: level, resolution: resolution) {
                return try Self.serverMinuteAggregates(db, names: names, minutes: Self.minuteCeiling(from)..<Self.minuteCeiling(to))
            }
            var rows: [PairAggregate] = []
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT minute, src, dst, kind, ok, slow, timeout, refused, unreachable, error, rtt, unresolved, retransmitted,
                      syn_retransmits, jitter_pairs, jitter_ns FROM pairs
                    WHERE resolution = ? AND level = ? AND minute >= ? AND minute < ?
                    """,
                arguments: [resolution.code, level.code, Self.minuteCeiling(from), Self.minuteCeiling(to)])
            while let row = try cursor.next() {
                guard let source = names[row[1]], let destination = names[row[2]], let kind = ProbeKind(code: row[3]) else { continue }
                rows.append(
                    PairAggregate(
                        level: level, resolution: resolution, window: (row[0] as Int64) * 60, source: source, destination: destination,
                        kind: kind, counts: Self.counts(row, from: 4, laterAt: 11), rtt: try Self.sketch(row[10])))
            }
            return rows
        }
    }

    public func compactAggregates(level: TopologyLevel, resolution: Resolution, from: Int64, to: Int64) async throws -> CompactAggregates {
        // Read in as many parts as there are cores, each on its own reader connection, split by
        // ranges of source id: extracting 300,000 rows' columns is most of a server matrix's
        // time. For one window the key (..., minute, src, ...) lets each part seek straight to
        // its range. Each part is a consistent snapshot; parts may differ by a commit made
        // between them, which moves whole rows, never half of one.
        let names = try await pool.read { try Self.nameTable($0) }
        let low = names.keys.min() ?? 0
        let high = (names.keys.max() ?? 0) + 1
        let parts = Int64(Self.readParts)
        let step = max(1, (high - low + parts - 1) / parts)
        let (first, last) = (Self.minuteCeiling(from), Self.minuteCeiling(to))
        let pieces = try await withThrowingTaskGroup(of: (Int, CompactAggregates).self) { group in
            for part in 0..<Int(parts) {
                let sources = (low + Int64(part) * step)..<(part == Int(parts) - 1 ? Int64.max : low + Int64(part + 1) * step)
                group.addTask {
                    let piece = try await self.pool.read { db in
                        Self.isServerMinute(level: level, resolution: resolution)
                            ? try Self.readServerMinutes(db, minutes: first..<last, sources: sources)
                            : try Self.readCompact(db, level: level, resolution: resolution, minutes: first..<last, sources: sources)
                    }
                    return (part, piece)
                }
            }
            var pieces = [CompactAggregates](repeating: CompactAggregates(), count: Int(parts))
            for try await (part, piece) in group { pieces[part] = piece }
            return pieces
        }
        var result = CompactAggregates(concatenating: pieces)
        result.names = names
        return result
    }

    private static let readParts = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))

    private static func readCompact(
        _ db: Database, level: TopologyLevel, resolution: Resolution, minutes: Range<Int64>, sources: Range<Int64>
    ) throws -> CompactAggregates {
        var result = CompactAggregates()
        // Window starts are multiples of the resolution (in minutes); when the range holds just
        // one, an equality on minute lets the source range seek in the key.
        let step = resolution.seconds / 60
        let firstWindow = (minutes.lowerBound + step - 1).floorDivided(by: step) * step
        guard firstWindow < minutes.upperBound else { return result }
        let oneWindow = firstWindow + step >= minutes.upperBound
        let statement = try db.cachedStatement(
            sql: """
                SELECT minute, src, dst, kind, ok, slow, timeout, refused, unreachable, error, rtt, unresolved, retransmitted,
                  syn_retransmits, jitter_pairs, jitter_ns FROM pairs
                WHERE resolution = ? AND level = ? AND \(oneWindow ? "minute = ?" : "minute >= ? AND minute < ?")
                  AND src >= ? AND src < ?
                """)
        statement.arguments =
            oneWindow
            ? [resolution.code, level.code, firstWindow, sources.lowerBound, sources.upperBound]
            : [resolution.code, level.code, minutes.lowerBound, minutes.upperBound, sources.lowerBound, sources.upperBound]
        // Columns straight from SQLite: GRDB's per-column access (a Data for each blob) would be
        // most of the time of reading a 300,000-row matrix.
        let sqlite = statement.sqliteStatement
        let cursor = try Row.fetchCursor(statement)
        while try cursor.next() != nil {
            guard let kind = ProbeKind(code: Int(sqlite3_column_int64(sqlite, 3))) else { continue }
            func count(_ column: Int32) -> UInt64 { UInt64(max(0, sqlite3_column_int64(sqlite, column))) }
            let counts = ResultCounts(
                ok: count(4), slow: count(5), timeout: count(6), refused: count(7), unreachable: count(8), error: count(9), unresolved: count(11),
                retransmitted: count(12), synRetransmits: count(13), jitterPairs: count(14), jitterNanoseconds: count(15))
            let length = Int(sqlite3_column_bytes(sqlite, 10))
            let blob = length > 0 ? sqlite3_column_blob(sqlite, 10) : nil
            result.append(
                window: sqlite3_column_int64(sqlite, 0) * 60, source: sqlite3_column_int64(sqlite, 1),
                destination: sqlite3_column_int64(sqlite, 2), kind: kind, counts: counts,
                encoded: UnsafeRawBufferPointer(start: blob, count: blob == nil ? 0 : length))
        }
        return result
    }

    public func replaceAggregates(level: TopologyLevel, resolution: Resolution, window: Int64, with rows: [PairAggregate]) async throws {
        let known = names.withLock { $0 }
        let added = try await pool.write { db -> [String: Int64] in
            var interner = NameInterner(known: known)
            if Self.isServerMinute(level: level, resolution: resolution) {
                try Self.replaceServerMinute(window, with: rows, db: db, interner: &interner)
                return interner.added
            }
            try db.execute(
                sql: "DELETE FROM pairs WHERE resolution = ? AND level = ? AND minute = ?",
                arguments: [resolution.code, level.code, window / 60])
            for row in rows {
                let key: StatementArguments = [
                    resolution.code, level.code, window / 60, try interner.id(row.source, db: db), try interner.id(row.destination, db: db),
                    row.kind.code,
                ]
                try Self.insert(row, key: key, db: db)
            }
            return interner.added
        }
        if !added.isEmpty { names.withLock { $0.merge(added) { old, _ in old } } }
    }

    public func dirtyWindows(resolution: Resolution, limit: Int) async throws -> [DirtyWindow] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT minute, generation FROM dirty WHERE resolution = ? ORDER BY minute LIMIT ?", arguments: [resolution.code, limit]
            ).map { DirtyWindow(window: ($0[0] as Int64) * 60, generation: $0[1]) }
        }
    }

    public func markDirty(resolution: Resolution, windows: [Int64]) async throws {
        try await pool.write { db in
            for window in windows { try Self.markDirty(db: db, resolution: resolution, window: window) }
        }
    }

    private static func markDirty(db: Database, resolution: Resolution, window: Int64) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO dirty(resolution, minute, generation) VALUES (?, ?, 1)
                ON CONFLICT(resolution, minute) DO UPDATE SET generation = generation + 1
                """
        ).execute(arguments: [resolution.code, window / 60])
    }

    public func clearDirty(resolution: Resolution, _ dirty: DirtyWindow) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM dirty WHERE resolution = ? AND minute = ? AND generation = ?",
                arguments: [resolution.code, dirty.window / 60, dirty.generation])
        }
    }

    public func placements() async throws -> [String: [String: String]] {
        try await pool.read { db in
            var result: [String: [String: String]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, labels FROM placements") {
                result[row[0]] = LabelsJSON.decode(row[1])
            }
            return result
        }
    }

    public func failures(_ query: FailureQuery) async throws -> [StoredFailure] {
        try await pool.read { db in
            let names = try Self.nameTable(db)
            let ids = Dictionary(names.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
            var sql = "SELECT at, src, dst, target, kind, result, rtt_ns, source_port, detail FROM failures WHERE at >= ? AND at < ?"
            var arguments: StatementArguments = [query.from, query.to]
            if let source = query.source {
                guard let id = ids[source] else { return [] }
                sql += " AND src = ?"
                arguments += [id]
            }
            if let destination = query.destination {
                guard let id = ids[destination] else { return [] }
                sql += " AND dst = ?"
                arguments += [id]
            }
            sql += " ORDER BY at DESC LIMIT ?"
            arguments += [query.limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap { row -> StoredFailure? in
                guard let source = names[row[1]], let destination = names[row[2]], let kind = ProbeKind(code: row[4]),
                    let result = ProbeResultClass(rawValue: row[5])
                else { return nil }
                return StoredFailure(
                    source: source, destination: destination, target: row[3], kind: kind, result: result, at: row[0], rttNanoseconds: row[6],
                    sourcePort: row[7], detail: row[8])
            }
        }
    }

    public func agents() async throws -> [AgentRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, version, pinglist_version, labels, last_upload, last_batch_created FROM agents ORDER BY name")
                .map { row in
                    AgentRecord(
                        name: row[0], version: row[1], pinglistVersion: row[2], labels: LabelsJSON.decode(row[3]), lastUpload: row[4],
                        lastBatchCreated: row[5])
                }
        }
    }

    public func portRows(window: Int64) async throws -> [PortRow] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.name, d.name, ports.port, ports.sent, ports.failed FROM ports
                    JOIN names s ON s.id = ports.src JOIN names d ON d.id = ports.dst
                    WHERE ports.minute = ? ORDER BY s.name, d.name, ports.port
                    """, arguments: [window / 60]
            ).map { row in PortRow(window: window, source: row[0], destination: row[1], port: row[2], sent: row[3], failed: row[4]) }
        }
    }

    public func enforceRetention(_ retention: Retention, now: Int64) async throws -> Int {
        try await pool.write { db in
            var deleted = 0
            for resolution in Resolution.allCases {
                try db.execute(
                    sql: "DELETE FROM pairs WHERE resolution = ? AND minute < ?",
                    arguments: [resolution.code, (now - retention.seconds(for: resolution)) / 60])
                deleted += db.changesCount
                try db.execute(
                    sql: "DELETE FROM dirty WHERE resolution = ? AND minute < ?",
                    arguments: [resolution.code, (now - retention.seconds(for: resolution)) / 60])
            }
            try db.execute(sql: "DELETE FROM server_minutes WHERE minute < ?", arguments: [(now - retention.minute) / 60])
            deleted += db.changesCount
            try db.execute(sql: "DELETE FROM ports WHERE minute < ?", arguments: [(now - retention.minute) / 60])
            deleted += db.changesCount
            try db.execute(sql: "DELETE FROM failures WHERE at < ?", arguments: [(now - retention.failures) * 1000])
            deleted += db.changesCount
            // A batch older than the oldest window the collector accepts cannot come back.
            try db.execute(sql: "DELETE FROM batches WHERE received_at < ?", arguments: [(now - ResultBatch.maximumAge - 86_400) * 1000])
            return deleted
        }
    }

    public func sizeBytes() async throws -> Int64 {
        try await pool.read { db in
            let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let size = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            return pages * size
        }
    }

    // MARK: Row helpers

    /// The first six classes from `index` on; `unresolved`, `retransmitted`, `syn_retransmits`,
    /// `jitter_pairs` and `jitter_ns` (schemas 4 to 6) follow `rtt`, where ALTER TABLE put them,
    /// from `laterAt` on.
    private static func counts(_ row: Row, from index: Int, laterAt: Int) -> ResultCounts {
        func value(_ at: Int) -> UInt64 { UInt64(max(0, row[at] as Int64? ?? 0)) }
        return ResultCounts(
            ok: value(index), slow: value(index + 1), timeout: value(index + 2), refused: value(index + 3), unreachable: value(index + 4),
            error: value(index + 5), unresolved: value(laterAt), retransmitted: value(laterAt + 1), synRetransmits: value(laterAt + 2),
            jitterPairs: value(laterAt + 3), jitterNanoseconds: value(laterAt + 4))
    }

    private static func sketch(_ data: Data?) throws -> LatencySketch {
        guard let data, !data.isEmpty else { return LatencySketch() }
        return try LatencySketch(encoded: data)
    }

    private static func nameTable(_ db: Database) throws -> [Int64: String] {
        var names: [Int64: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, name FROM names") { names[row[0]] = row[1] }
        return names
    }

    /// The first whole minute at or after `time` (window bounds are minutes in the table).
    private static func minuteCeiling(_ time: Int64) -> Int64 {
        time >= 0 ? (time + 59) / 60 : time / 60
    }
}

/// Interns names inside one write transaction; what it adds reaches the shared cache only after
/// the commit, so a rolled-back transaction never leaves ids behind that do not exist.
struct NameInterner {
    let known: [String: Int64]
    var added: [String: Int64] = [:]

    mutating func id(_ name: String, db: Database) throws -> Int64 {
        if let id = known[name] ?? added[name] { return id }
        try db.execute(sql: "INSERT OR IGNORE INTO names(name) VALUES (?)", arguments: [name])
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM names WHERE name = ?", arguments: [name]) else {
            throw StoreError(message: "name '\(name)' could not be interned")
        }
        added[name] = id
        return id
    }
}

extension SQLiteResultStore {
    /// Bytes the pair rows of one resolution and level occupy on their own: they are copied into
    /// a table of the same layout and its pages counted (SQLite's dbstat). For the benchmark.
    public func pairBytes(resolution: Resolution, level: TopologyLevel) async throws -> Int64 {
        try await pool.write { db in
            if Self.isServerMinute(level: level, resolution: resolution) { return try Self.serverMinuteBytes(db) }
            try db.execute(sql: "DROP TABLE IF EXISTS measured_pairs")
            let layout = SQLiteSchema.statements.first { $0.contains("CREATE TABLE IF NOT EXISTS pairs") }!
            try db.execute(sql: layout.replacingOccurrences(of: "IF NOT EXISTS pairs", with: "measured_pairs"))
            try db.execute(
                sql: "INSERT INTO measured_pairs SELECT * FROM pairs WHERE resolution = ? AND level = ? ORDER BY resolution, level, minute, src, dst, kind",
                arguments: [resolution.code, level.code])
            let bytes = try Int64.fetchOne(db, sql: "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = 'measured_pairs'") ?? 0
            try db.execute(sql: "DROP TABLE measured_pairs")
            return bytes
        }
    }
}
