import Foundation
import GRDB
import GRDBSQLite
import PingmeshModel

/// The 1-minute server level, kept in `server_minutes`: one row per minute, source and probe
/// kind holding every destination's cell packed (`PackedPairCells`). Every other level and
/// resolution stays in `pairs`. An agent's batch is one source and (usually) one minute, so
/// ingest writes one row instead of one per destination (300), and a server matrix reads 1,000
/// rows.
extension SQLiteResultStore {
    static let serverMinutesTable = """
        CREATE TABLE IF NOT EXISTS server_minutes (
          minute INTEGER NOT NULL, src INTEGER NOT NULL, kind INTEGER NOT NULL, cells BLOB NOT NULL,
          UNIQUE (minute, src, kind))
        """

    static func isServerMinute(level: TopologyLevel, resolution: Resolution) -> Bool {
        level == .server && resolution == .minute
    }

    /// Folds `rows` (server level, minute resolution) into their packed rows: a new
    /// (minute, source, kind) is one INSERT; one already stored is read, merged and rewritten.
    static func addServerMinutes(_ rows: [PairAggregate], db: Database, interner: inout NameInterner) throws {
        struct Key: Hashable { var minute: Int64, source: Int64, kind: Int }
        var groups: [Key: [PackedPairCells.Cell]] = [:]
        for row in rows {
            let key = Key(minute: row.window / 60, source: try interner.id(row.source, db: db), kind: row.kind.code)
            let cell = PackedPairCells.Cell(
                destination: try interner.id(row.destination, db: db), counts: row.counts, sketch: row.rtt.isEmpty ? [] : row.rtt.encoded())
            groups[key, default: []].append(cell)
        }
        let select = try db.cachedStatement(sql: "SELECT cells FROM server_minutes WHERE minute = ? AND src = ? AND kind = ?")
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO server_minutes(minute, src, kind, cells) VALUES (?, ?, ?, ?)
                ON CONFLICT(minute, src, kind) DO UPDATE SET cells = excluded.cells
                """)
        for key in groups.keys.sorted(by: { ($0.minute, $0.source, $0.kind) < ($1.minute, $1.source, $1.kind) }) {
            let arguments: StatementArguments = [key.minute, key.source, key.kind]
            // A batch may repeat a destination (windows shorter than a minute), so even a new
            // row goes through the merge.
            var existing: [PackedPairCells.Cell] = []
            if let stored = try Data.fetchOne(select, arguments: arguments) {
                existing = try stored.withUnsafeBytes { try PackedPairCells.decode($0) }
            }
            let merged = try PackedPairCells.merge(existing, groups[key] ?? [])
            try upsert.execute(arguments: arguments + [Data(PackedPairCells.encode(merged))])
        }
    }

    /// Replaces one minute of the server level with `rows`.
    static func replaceServerMinute(_ window: Int64, with rows: [PairAggregate], db: Database, interner: inout NameInterner) throws {
        try db.execute(sql: "DELETE FROM server_minutes WHERE minute = ?", arguments: [window / 60])
        try addServerMinutes(rows, db: db, interner: &interner)
    }

    /// The server level's cells of `minutes` from sources in `sources`, in compact form.
    static func readServerMinutes(_ db: Database, minutes: Range<Int64>, sources: Range<Int64>) throws -> CompactAggregates {
        var result = CompactAggregates()
        let statement = try db.cachedStatement(
            sql: "SELECT minute, src, kind, cells FROM server_minutes WHERE minute >= ? AND minute < ? AND src >= ? AND src < ?")
        statement.arguments = [minutes.lowerBound, minutes.upperBound, sources.lowerBound, sources.upperBound]
        // Columns straight from SQLite: the blob is walked where it lies, no Data per row.
        let sqlite = statement.sqliteStatement
        let cursor = try Row.fetchCursor(statement)
        while try cursor.next() != nil {
            guard let kind = ProbeKind(code: Int(sqlite3_column_int64(sqlite, 2))) else { continue }
            let window = sqlite3_column_int64(sqlite, 0) * 60
            let source = sqlite3_column_int64(sqlite, 1)
            let length = Int(sqlite3_column_bytes(sqlite, 3))
            guard length > 0, let blob = sqlite3_column_blob(sqlite, 3) else { continue }
            try result.appendPacked(UnsafeRawBufferPointer(start: blob, count: length), window: window, source: source, kind: kind)
        }
        return result
    }

    /// The server level's rows of `minutes`, decoded.
    static func serverMinuteAggregates(_ db: Database, names: [Int64: String], minutes: Range<Int64>) throws -> [PairAggregate] {
        let compact = try readServerMinutes(db, minutes: minutes, sources: Int64.min..<Int64.max)
        return try compact.rows.compactMap { row in
            guard let source = names[row.source], let destination = names[row.destination] else { return nil }
            return PairAggregate(
                level: .server, resolution: .minute, window: row.window, source: source, destination: destination, kind: row.kind,
                counts: row.counts, rtt: try compact.sketch(of: row))
        }
    }

    /// Schema 3: the server level's minute rows move from `pairs` into packed rows, in the
    /// transaction that bumps the version, so a crash leaves them all in one place or the other.
    static func packServerMinutes(_ db: Database) throws {
        let legacy = [Resolution.minute.code, TopologyLevel.server.code]
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT minute, src, dst, kind, ok, slow, timeout, refused, unreachable, error, rtt FROM pairs
                WHERE resolution = ? AND level = ? ORDER BY minute, src, kind, dst
                """, arguments: StatementArguments(legacy))
        var current: (minute: Int64, source: Int64, kind: Int)?
        var cells: [PackedPairCells.Cell] = []
        func flush() throws {
            guard let key = current, !cells.isEmpty else { return }
            try db.execute(
                sql: "INSERT INTO server_minutes(minute, src, kind, cells) VALUES (?, ?, ?, ?)",
                arguments: [key.minute, key.source, key.kind, Data(PackedPairCells.encode(cells))])
            cells.removeAll(keepingCapacity: true)
        }
        while let row = try rows.next() {
            let key = (minute: row[0] as Int64, source: row[1] as Int64, kind: row[3] as Int)
            if let known = current, known != key { try flush() }
            current = key
            func count(_ column: Int) -> UInt64 { UInt64(max(0, row[column] as Int64? ?? 0)) }
            let blob: Data? = row[10]
            cells.append(
                PackedPairCells.Cell(
                    destination: row[2],
                    counts: ResultCounts(ok: count(4), slow: count(5), timeout: count(6), refused: count(7), unreachable: count(8), error: count(9)),
                    sketch: blob.map { Array($0) } ?? []))
        }
        try flush()
        try db.execute(sql: "DELETE FROM pairs WHERE resolution = ? AND level = ?", arguments: StatementArguments(legacy))
    }

    /// Bytes of the packed rows and their key index on their own (pages of a copy, SQLite's
    /// dbstat), for the benchmark.
    static func serverMinuteBytes(_ db: Database) throws -> Int64 {
        try db.execute(sql: "DROP TABLE IF EXISTS measured_server_minutes")
        try db.execute(sql: serverMinutesTable.replacingOccurrences(of: "IF NOT EXISTS server_minutes", with: "measured_server_minutes"))
        try db.execute(sql: "INSERT INTO measured_server_minutes SELECT * FROM server_minutes ORDER BY minute, src, kind")
        let bytes =
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT coalesce(sum(pgsize), 0) FROM dbstat
                    WHERE name = 'measured_server_minutes' OR name LIKE 'sqlite_autoindex_measured_server_minutes%'
                    """) ?? 0
        try db.execute(sql: "DROP TABLE measured_server_minutes")
        return bytes
    }
}
