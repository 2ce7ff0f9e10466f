import Logging
import NIOCore
import PingmeshModel
import PostgresNIO

/// The 1-minute server level in PostgreSQL, packed as in SQLite (`server_minutes`, one row per
/// minute, source and kind holding every destination's cell; see `PackedPairCells`). Writes
/// follow the pair rows' discipline: new keys go in with `ON CONFLICT DO NOTHING`, keys that
/// exist are locked `FOR UPDATE` in key order, merged here and written back, so replicas
/// ingesting batches of one source at once neither lose nor double a probe.
extension PostgresResultStore {
    static let serverMinutesTable = """
        CREATE TABLE IF NOT EXISTS server_minutes (
          minute integer NOT NULL, src bigint NOT NULL, kind smallint NOT NULL, cells bytea NOT NULL,
          PRIMARY KEY (minute, src, kind))
        """

    static func isServerMinute(level: TopologyLevel, resolution: Resolution) -> Bool {
        level == .server && resolution == .minute
    }

    struct ServerMinuteKey: Hashable, Comparable, Sendable {
        var minute: Int32
        var src: Int64
        var kind: Int16

        static func < (a: Self, b: Self) -> Bool { (a.minute, a.src, a.kind) < (b.minute, b.src, b.kind) }
    }

    /// `rows` grouped by packed row, names resolved through `id`, repeated destinations merged.
    static func serverMinuteGroups(_ rows: [PairAggregate], id: (String) throws -> Int64) throws -> [ServerMinuteKey: [PackedPairCells.Cell]] {
        var groups: [ServerMinuteKey: [PackedPairCells.Cell]] = [:]
        for row in rows {
            let key = ServerMinuteKey(minute: try minute(row.window), src: try id(row.source), kind: Int16(row.kind.code))
            groups[key, default: []].append(
                PackedPairCells.Cell(destination: try id(row.destination), counts: row.counts, sketch: row.rtt.isEmpty ? [] : row.rtt.encoded()))
        }
        return try groups.mapValues { try PackedPairCells.merge([], $0) }
    }

    private struct ServerMinuteColumns {
        var minute: [Int32] = []
        var src: [Int64] = []
        var kind: [Int16] = []
        var cells: [ByteBuffer] = []

        init(_ rows: [(key: ServerMinuteKey, cells: [PackedPairCells.Cell])]) {
            for (key, cells) in rows.sorted(by: { $0.key < $1.key }) {
                minute.append(key.minute)
                src.append(key.src)
                kind.append(key.kind)
                self.cells.append(ByteBuffer(bytes: PackedPairCells.encode(cells)))
            }
        }
    }

    /// Folds `groups` into the stored packed rows.
    static func addServerMinutes(_ groups: [ServerMinuteKey: [PackedPairCells.Cell]], connection: PostgresConnection, logger: Logger) async throws {
        var pending = groups
        var rounds = 0
        while !pending.isEmpty {
            rounds += 1
            guard rounds <= 10 else { throw StoreError(message: "server minute rows kept changing under the ingest; giving up after 10 rounds") }
            let fresh = ServerMinuteColumns(pending.map { ($0.key, $0.value) })
            let inserted = try await connection.query(
                """
                INSERT INTO server_minutes (minute, src, kind, cells)
                SELECT minute, src, kind, cells
                FROM unnest(\(fresh.minute)::integer[], \(fresh.src)::bigint[], \(fresh.kind)::smallint[], \(fresh.cells)::bytea[])
                  AS t(minute, src, kind, cells)
                ORDER BY minute, src, kind
                ON CONFLICT (minute, src, kind) DO NOTHING
                RETURNING minute, src, kind
                """, logger: logger)
            for try await (minute, src, kind) in inserted.decode((Int32, Int64, Int16).self) {
                pending[ServerMinuteKey(minute: minute, src: src, kind: kind)] = nil
            }
            guard !pending.isEmpty else { return }

            let keys = ServerMinuteColumns(pending.map { ($0.key, []) })
            let existing = try await connection.query(
                """
                SELECT s.minute, s.src, s.kind, s.cells FROM server_minutes s
                JOIN unnest(\(keys.minute)::integer[], \(keys.src)::bigint[], \(keys.kind)::smallint[]) AS k(minute, src, kind)
                  ON (s.minute, s.src, s.kind) = (k.minute, k.src, k.kind)
                ORDER BY s.minute, s.src, s.kind
                FOR UPDATE OF s
                """, logger: logger)
            var merged: [(key: ServerMinuteKey, cells: [PackedPairCells.Cell])] = []
            for try await (minute, src, kind, cells) in existing.decode((Int32, Int64, Int16, ByteBuffer).self) {
                let key = ServerMinuteKey(minute: minute, src: src, kind: kind)
                guard let added = pending.removeValue(forKey: key) else { continue }
                let stored = try cells.withUnsafeReadableBytes { try PackedPairCells.decode($0) }
                merged.append((key, try PackedPairCells.merge(stored, added)))
            }
            // A key that vanished in between (retention, a replaced window) goes round again.
            guard !merged.isEmpty else { continue }
            let update = ServerMinuteColumns(merged)
            try await connection.run(
                """
                UPDATE server_minutes s SET cells = t.cells
                FROM unnest(\(update.minute)::integer[], \(update.src)::bigint[], \(update.kind)::smallint[], \(update.cells)::bytea[])
                  AS t(minute, src, kind, cells)
                WHERE (s.minute, s.src, s.kind) = (t.minute, t.src, t.kind)
                """, logger: logger)
        }
    }

    /// The packed rows of `minutes` from sources in `sources`, unpacked into compact form.
    func readServerMinutes(minutes: Range<Int64>, sources: Range<Int64>) async throws -> CompactAggregates {
        let (first, last) = (Int32(clamping: minutes.lowerBound), Int32(clamping: minutes.upperBound))
        return try await reading { connection, logger in
            let rows = try await connection.query(
                """
                SELECT minute, src, kind, cells FROM server_minutes
                WHERE minute >= \(first) AND minute < \(last) AND src >= \(sources.lowerBound) AND src < \(sources.upperBound)
                ORDER BY minute, src, kind
                """, logger: logger)
            var result = CompactAggregates()
            for try await (minute, source, kindCode, cells) in rows.decode((Int32, Int64, Int16, ByteBuffer).self) {
                guard let kind = ProbeKind(code: Int(kindCode)) else { continue }
                try cells.withUnsafeReadableBytes { blob in
                    try result.appendPacked(blob, window: Int64(minute) * 60, source: source, kind: kind)
                }
            }
            return result
        }
    }

    /// Schema 3: the server level's minute rows move from `pairs` into packed rows, inside the
    /// migration's transaction.
    static func packServerMinutes(_ connection: PostgresConnection, logger: Logger) async throws {
        var groups: [ServerMinuteKey: [PackedPairCells.Cell]] = [:]
        let rows = try await connection.query(
            """
            SELECT minute, src, dst, kind, ok, slow, timeout, refused, unreachable, error, rtt FROM pairs
            WHERE resolution = \(Int16(Resolution.minute.code)) AND level = \(Int16(TopologyLevel.server.code))
            """, logger: logger)
        for try await (minute, src, dst, kind, ok, slow, timeout, refused, unreachable, error, rtt) in rows.decode(
            (Int32, Int64, Int64, Int16, Int64, Int64, Int64, Int64, Int64, Int64, ByteBuffer?).self)
        {
            groups[ServerMinuteKey(minute: minute, src: src, kind: kind), default: []].append(
                PackedPairCells.Cell(
                    destination: dst, counts: counts(ok, slow, timeout, refused, unreachable, error),
                    sketch: rtt.map { Array($0.readableBytesView) } ?? []))
        }
        try await connection.run(
            "DELETE FROM pairs WHERE resolution = \(Int16(Resolution.minute.code)) AND level = \(Int16(TopologyLevel.server.code))",
            logger: logger)
        // Chunks keep each statement's binds to a few MB however much history there is.
        let all = groups.map { ($0.key, $0.value) }.sorted { $0.0 < $1.0 }
        for start in stride(from: 0, to: all.count, by: 1_000) {
            let chunk = ServerMinuteColumns(Array(all[start..<min(start + 1_000, all.count)]).map { (key: $0.0, cells: $0.1) })
            try await connection.run(
                """
                INSERT INTO server_minutes (minute, src, kind, cells)
                SELECT * FROM unnest(\(chunk.minute)::integer[], \(chunk.src)::bigint[], \(chunk.kind)::smallint[], \(chunk.cells)::bytea[])
                """, logger: logger)
        }
    }
}
