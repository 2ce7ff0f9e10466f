import Foundation
import Logging
import NIOCore
import PingmeshModel
import PostgresNIO

/// Ingest and rollup writes. Several replicas write the same rows at once, so each transaction
/// takes its locks in one global order: the batch id, then names, pair rows, ports, placements,
/// the agent, dirty windows, each set sorted by key (the SQL sorts, so the order is the
/// database's, identical in every replica). Two transactions that follow one order cannot wait
/// on each other in a cycle; whatever PostgreSQL still reports as a deadlock is retried whole.
extension PostgresResultStore {
    public func ingest(_ batch: IngestBatch) async throws -> Bool {
        let serverMinutes = batch.rows.filter { Self.isServerMinute(level: $0.level, resolution: $0.resolution) }
        let rows = try PostgresPairRows(batch.rows.filter { !Self.isServerMinute(level: $0.level, resolution: $0.resolution) })
        let ports = try PostgresPortRows(batch.ports)
        let dirtyMinutes = try Self.uniqueMinutes(batch.minuteWindows)
        let placementNames = batch.placements.keys.sorted()
        let placementLabels = try placementNames.map { try LabelsJSON.encode(batch.placements[$0] ?? [:]) }
        let agentLabels = try LabelsJSON.encode(batch.agent.labels)
        var wanted = rows.names.union(ports.names)
        for row in serverMinutes {
            wanted.insert(row.source)
            wanted.insert(row.destination)
        }
        for failure in batch.failures {
            wanted.insert(failure.source)
            wanted.insert(failure.destination)
        }
        let wantedNames = wanted
        let known = names.withLock { $0 }

        let (stored, added) = try await writing { connection, logger -> (Bool, [String: Int64]) in
            // The batch row decides: a second delivery, even one racing the first on another
            // replica (it waits for the first to commit), inserts nothing and stops here.
            let agent = batch.agent
            let inserted = try await connection.single(
                """
                INSERT INTO batches (id, agent, received_at) VALUES (\(batch.id), \(agent.name), \(agent.lastUpload))
                ON CONFLICT (id) DO NOTHING RETURNING 1
                """, as: Int32.self, logger: logger)
            guard inserted != nil else { return (false, [:]) }

            let added = try await Self.intern(wantedNames.filter { known[$0] == nil }, connection: connection, logger: logger)
            let ids = known.merging(added) { old, _ in old }
            func id(_ name: String) throws -> Int64 {
                guard let id = ids[name] else { throw StoreError(message: "name '\(name)' could not be interned") }
                return id
            }

            try await Self.addServerMinutes(try Self.serverMinuteGroups(serverMinutes, id: id), connection: connection, logger: logger)
            try await Self.add(rows.resolved(id), connection: connection, logger: logger)

            if !batch.failures.isEmpty {
                // JSON rather than arrays: rtt, port and detail may be NULL, which postgres-nio's
                // array binds cannot carry.
                let failures = try batch.failures.map { failure in
                    FailureRow(
                        at: failure.at, src: try id(failure.source), dst: try id(failure.destination), target: failure.target,
                        kind: failure.kind.code, result: failure.result.rawValue, rtt_ns: failure.rttNanoseconds, source_port: failure.sourcePort,
                        detail: failure.detail)
                }
                let json = String(decoding: try JSONEncoder().encode(failures), as: UTF8.self)
                try await connection.run(
                    """
                    INSERT INTO failures (at, src, dst, target, kind, result, rtt_ns, source_port, detail)
                    SELECT at, src, dst, target, kind, result, rtt_ns, source_port, detail
                    FROM json_to_recordset(\(json)::json) AS f(at bigint, src bigint, dst bigint, target text, kind smallint, result text,
                      rtt_ns bigint, source_port integer, detail text)
                    """, logger: logger)
            }

            if !ports.isEmpty {
                let columns = try ports.columns(id)
                try await connection.run(
                    """
                    INSERT INTO ports (minute, src, dst, port, sent, failed)
                    SELECT minute, src, dst, port, sent, failed
                    FROM unnest(\(columns.minute)::integer[], \(columns.src)::bigint[], \(columns.dst)::bigint[], \(columns.port)::integer[],
                      \(columns.sent)::bigint[], \(columns.failed)::bigint[]) AS t(minute, src, dst, port, sent, failed)
                    ORDER BY minute, src, dst, port
                    ON CONFLICT (minute, src, dst, port) DO UPDATE SET sent = ports.sent + excluded.sent, failed = ports.failed + excluded.failed
                    """, logger: logger)
            }

            if !placementNames.isEmpty {
                try await connection.run(
                    """
                    INSERT INTO placements (name, labels, updated_at)
                    SELECT name, labels, \(agent.lastUpload) FROM unnest(\(placementNames)::text[], \(placementLabels)::text[]) AS t(name, labels)
                    ORDER BY name
                    ON CONFLICT (name) DO UPDATE SET labels = excluded.labels, updated_at = excluded.updated_at
                    WHERE placements.labels IS DISTINCT FROM excluded.labels
                    """, logger: logger)
            }

            try await connection.run(
                """
                INSERT INTO agents (name, version, pinglist_version, labels, last_upload, last_batch_created)
                VALUES (\(agent.name), \(agent.version), \(agent.pinglistVersion), \(agentLabels), \(agent.lastUpload), \(agent.lastBatchCreated))
                ON CONFLICT (name) DO UPDATE SET version = excluded.version, pinglist_version = excluded.pinglist_version,
                  labels = excluded.labels, last_upload = excluded.last_upload,
                  last_batch_created = greatest(agents.last_batch_created, excluded.last_batch_created)
                """, logger: logger)

            if !dirtyMinutes.isEmpty {
                try await Self.markDirty(connection, resolution: .minute, minutes: dirtyMinutes, logger: logger)
            }
            return (true, added)
        }
        // Only now, after the commit: a rolled-back transaction must leave no ids in the cache.
        if !added.isEmpty { names.withLock { $0.merge(added) { old, _ in old } } }
        return stored
    }

    public func replaceAggregates(level: TopologyLevel, resolution: Resolution, window: Int64, with rows: [PairAggregate]) async throws {
        let minute = try Self.minute(window)
        let replacement = try PostgresPairRows(
            rows.map { row in
                var row = row
                (row.level, row.resolution, row.window) = (level, resolution, window)
                return row
            })
        let known = names.withLock { $0 }
        let added = try await writing { connection, logger -> [String: Int64] in
            // Two replicas rolling up the same window take turns: the second deletes what the
            // first wrote instead of colliding with it.
            try await connection.run(
                "SELECT pg_advisory_xact_lock(\(Self.windowLockKey(resolution: resolution, level: level, minute: minute)))", logger: logger)
            let added = try await Self.intern(replacement.names.filter { known[$0] == nil }, connection: connection, logger: logger)
            let ids = known.merging(added) { old, _ in old }
            if Self.isServerMinute(level: level, resolution: resolution) {
                try await connection.run("DELETE FROM server_minutes WHERE minute = \(minute)", logger: logger)
                let groups = try Self.serverMinuteGroups(rows.map { row in
                    var row = row
                    row.window = window
                    return row
                }) { name in
                    guard let id = ids[name] else { throw StoreError(message: "name '\(name)' could not be interned") }
                    return id
                }
                try await Self.addServerMinutes(groups, connection: connection, logger: logger)
                return added
            }
            try await connection.run(
                "DELETE FROM pairs WHERE resolution = \(Int16(resolution.code)) AND level = \(Int16(level.code)) AND minute = \(minute)",
                logger: logger)
            let resolved = try replacement.resolved { name in
                guard let id = ids[name] else { throw StoreError(message: "name '\(name)' could not be interned") }
                return id
            }
            if !resolved.isEmpty {
                let columns = PostgresPairColumns(resolved.sorted { $0.key < $1.key })
                try await connection.run(
                    """
                    INSERT INTO pairs (resolution, level, minute, src, dst, kind, ok, slow, timeout, refused, unreachable, error, rtt, unresolved,
                      retransmitted, syn_retransmits, jitter_pairs, jitter_ns)
                    SELECT resolution, level, minute, src, dst, kind, ok, slow, timeout, refused, unreachable, error, nullif(rtt, ''::bytea),
                      unresolved, retransmitted, syn_retransmits, jitter_pairs, jitter_ns
                    FROM \(unnest: columns)
                    ORDER BY resolution, level, minute, src, dst, kind
                    """, logger: logger)
            }
            return added
        }
        if !added.isEmpty { names.withLock { $0.merge(added) { old, _ in old } } }
    }

    /// The advisory lock of one rollup window: "PM", resolution, level, minute.
    static func windowLockKey(resolution: Resolution, level: TopologyLevel, minute: Int32) -> Int64 {
        0x504D << 40 | Int64(resolution.code) << 36 | Int64(level.code) << 32 | Int64(UInt32(bitPattern: minute))
    }

    /// Interns `names` (in the database's sort order, so concurrent interners lock alike) and
    /// returns their ids; the caller publishes them to the cache after its commit.
    static func intern(_ names: Set<String>, connection: PostgresConnection, logger: Logger) async throws -> [String: Int64] {
        guard !names.isEmpty else { return [:] }
        let list = Array(names)
        try await connection.run(
            "INSERT INTO names (name) SELECT n FROM unnest(\(list)::text[]) AS n ORDER BY n ON CONFLICT (name) DO NOTHING", logger: logger)
        var ids: [String: Int64] = [:]
        for try await (id, name) in try await connection.query("SELECT id, name FROM names WHERE name = ANY(\(list)::text[])", logger: logger)
            .decode((Int64, String).self)
        {
            ids[name] = id
        }
        return ids
    }

    /// Adds each row to the stored row with its key, or inserts it: new keys go in with
    /// `ON CONFLICT DO NOTHING` (which waits for a concurrent inserter of the same key and then
    /// sees its row), the keys that existed are locked `FOR UPDATE` in key order, merged here
    /// (sketches merge bucket by bucket, which SQL cannot do) and written back. A key whose row
    /// vanished in between (retention, a rollup replacing its window) goes round again.
    static func add(_ rows: [PostgresPairKey: PostgresPairRows.Value], connection: PostgresConnection, logger: Logger) async throws {
        var pending = rows
        var rounds = 0
        while !pending.isEmpty {
            rounds += 1
            guard rounds <= 10 else { throw StoreError(message: "pair rows kept changing under the ingest; giving up after 10 rounds") }
            let columns = PostgresPairColumns(pending.sorted { $0.key < $1.key })
            let inserted = try await connection.query(
                """
                INSERT INTO pairs (resolution, level, minute, src, dst, kind, ok, slow, timeout, refused, unreachable, error, rtt, unresolved,
                  retransmitted, syn_retransmits, jitter_pairs, jitter_ns)
                SELECT resolution, level, minute, src, dst, kind, ok, slow, timeout, refused, unreachable, error, nullif(rtt, ''::bytea),
                  unresolved, retransmitted, syn_retransmits, jitter_pairs, jitter_ns
                FROM \(unnest: columns)
                ORDER BY resolution, level, minute, src, dst, kind
                ON CONFLICT (resolution, level, minute, src, dst, kind) DO NOTHING
                RETURNING resolution, level, minute, src, dst, kind
                """, logger: logger)
            for try await (resolution, level, minute, src, dst, kind) in inserted.decode((Int16, Int16, Int32, Int64, Int64, Int16).self) {
                pending[PostgresPairKey(resolution: resolution, level: level, minute: minute, src: src, dst: dst, kind: kind)] = nil
            }
            guard !pending.isEmpty else { return }

            let keys = PostgresPairColumns(pending.sorted { $0.key < $1.key })
            let existing = try await connection.query(
                """
                SELECT p.resolution, p.level, p.minute, p.src, p.dst, p.kind, p.ok, p.slow, p.timeout, p.refused, p.unreachable, p.error, p.rtt,
                  p.unresolved, p.retransmitted, p.syn_retransmits, p.jitter_pairs, p.jitter_ns
                FROM pairs p
                JOIN unnest(\(keys.resolution)::smallint[], \(keys.level)::smallint[], \(keys.minute)::integer[], \(keys.src)::bigint[],
                  \(keys.dst)::bigint[], \(keys.kind)::smallint[]) AS k(resolution, level, minute, src, dst, kind)
                  ON (p.resolution, p.level, p.minute, p.src, p.dst, p.kind) = (k.resolution, k.level, k.minute, k.src, k.dst, k.kind)
                ORDER BY p.resolution, p.level, p.minute, p.src, p.dst, p.kind
                FOR UPDATE OF p
                """, logger: logger)
            var merged: [(key: PostgresPairKey, value: PostgresPairRows.Value)] = []
            for try await (
                resolution, level, minute, src, dst, kind, ok, slow, timeout, refused, unreachable, error, rtt, unresolved, retransmitted,
                synRetransmits, jitterPairs, jitterNanoseconds
            ) in existing.decode(
                (Int16, Int16, Int32, Int64, Int64, Int16, Int64, Int64, Int64, Int64, Int64, Int64, ByteBuffer?, Int64, Int64, Int64, Int64, Int64)
                    .self)
            {
                let key = PostgresPairKey(resolution: resolution, level: level, minute: minute, src: src, dst: dst, kind: kind)
                guard var value = pending.removeValue(forKey: key) else { continue }
                value.counts.add(
                    counts(
                        ok, slow, timeout, refused, unreachable, error, unresolved, retransmitted, synRetransmits, jitterPairs,
                        jitterNanoseconds))
                value.rtt.merge(try sketch(rtt))
                merged.append((key, value))
            }
            guard !merged.isEmpty else { continue }
            let update = PostgresPairColumns(merged)
            try await connection.run(
                """
                UPDATE pairs p SET ok = t.ok, slow = t.slow, timeout = t.timeout, refused = t.refused, unreachable = t.unreachable,
                  error = t.error, rtt = nullif(t.rtt, ''::bytea), unresolved = t.unresolved, retransmitted = t.retransmitted,
                  syn_retransmits = t.syn_retransmits, jitter_pairs = t.jitter_pairs, jitter_ns = t.jitter_ns
                FROM \(unnest: update)
                WHERE (p.resolution, p.level, p.minute, p.src, p.dst, p.kind) = (t.resolution, t.level, t.minute, t.src, t.dst, t.kind)
                """, logger: logger)
        }
    }
}

/// One failure as the JSON the insert reads with `json_to_recordset`.
private struct FailureRow: Encodable {
    var at: Int64
    var src: Int64
    var dst: Int64
    var target: String
    var kind: Int
    var result: String
    var rtt_ns: Int64?
    var source_port: Int?
    var detail: String?
}
