import NIOCore
import PingmeshModel
import PostgresNIO

extension PostgresResultStore {
    /// The `CompactAggregates` fast path. A 1,000 x 1,000 server matrix is 300,000 rows; sent as
    /// rows, decoding them cell by cell (and every sketch decoded, then encoded again for the
    /// compact form) was nearly all of the query's time. Here PostgreSQL packs the rows of each
    /// source into one bytea of fixed-width big-endian fields (`intNsend`, the binary wire form)
    /// and the collector walks those bytes. Sources are split into ranges read in parallel on
    /// the pool's connections; each part is its own snapshot, which moves whole rows, never half
    /// of one (as in `SQLiteResultStore`). Sources come in order; within one, rows come in the
    /// order the primary-key scan reads them, which is key order (a sort inside the aggregate
    /// cost more than it saved), and the matrix builder checks that before relying on it.
    public func compactAggregates(level: TopologyLevel, resolution: Resolution, from: Int64, to: Int64) async throws -> CompactAggregates {
        let (first, last) = (Self.minuteCeiling(from), Self.minuteCeiling(to))
        guard first < last else { return CompactAggregates() }
        let bounds = try await reading { connection, logger -> (Int64, Int64)? in
            let rows = try await connection.query("SELECT min(id), max(id) FROM names", logger: logger)
            for try await (low, high) in rows.decode((Int64?, Int64?).self) {
                if let low, let high { return (low, high) }
            }
            return nil
        }
        guard let (low, high) = bounds else { return CompactAggregates() }
        let parts = Int64(Self.compactReadParts)
        let step = max(1, (high + 1 - low + parts - 1) / parts)
        let pieces = try await withThrowingTaskGroup(of: (Int, CompactAggregates).self) { group in
            for part in 0..<Int(parts) {
                let sources = (low + Int64(part) * step)..<(low + Int64(part + 1) * step)
                group.addTask {
                    let piece = try await self.readCompact(level: level, resolution: resolution, minutes: first..<last, sources: sources)
                    return (part, piece)
                }
            }
            var pieces = [CompactAggregates](repeating: CompactAggregates(), count: Int(parts))
            for try await (part, piece) in group { pieces[part] = piece }
            return pieces
        }
        var result = CompactAggregates(concatenating: pieces)
        result.names = try await names(of: Set(result.rows.flatMap { [$0.source, $0.destination] }))
        return result
    }

    /// Parallel parts: the database does most of the packing, so more parts than the pool's
    /// connections gain nothing.
    private static let compactReadParts = 4

    /// Bytes per packed row before its sketch: minute (4), dst (8), kind (2), six counts (8 each),
    /// sketch length (4).
    private static let packedRowHeader = 4 + 8 + 2 + 6 * 8 + 4

    private func readCompact(level: TopologyLevel, resolution: Resolution, minutes: Range<Int64>, sources: Range<Int64>) async throws
        -> CompactAggregates
    {
        try await reading { connection, logger in
            let rows = try await connection.query(
                """
                SELECT src, string_agg(
                  int4send(minute) || int8send(dst) || int2send(kind) || int8send(ok) || int8send(slow) || int8send(timeout)
                  || int8send(refused) || int8send(unreachable) || int8send(error)
                  || int4send(coalesce(length(rtt), 0)) || coalesce(rtt, ''::bytea), ''::bytea)
                FROM pairs
                WHERE resolution = \(Int16(resolution.code)) AND level = \(Int16(level.code))
                  AND minute >= \(Int32(clamping: minutes.lowerBound)) AND minute < \(Int32(clamping: minutes.upperBound))
                  AND src >= \(sources.lowerBound) AND src < \(sources.upperBound)
                GROUP BY src ORDER BY src
                """, logger: logger)
            var result = CompactAggregates()
            for try await (source, packed) in rows.decode((Int64, ByteBuffer).self) {
                try Self.unpack(packed, source: source, into: &result)
            }
            return result
        }
    }

    /// Walks one source's packed rows (see `readCompact`); a short or inconsistent buffer is an
    /// error, never a partial row.
    static func unpack(_ packed: ByteBuffer, source: Int64, into result: inout CompactAggregates) throws {
        var buffer = packed
        while buffer.readableBytes > 0 {
            guard buffer.readableBytes >= packedRowHeader,
                let minute = buffer.readInteger(as: Int32.self), let destination = buffer.readInteger(as: Int64.self),
                let kindCode = buffer.readInteger(as: Int16.self),
                let ok = buffer.readInteger(as: Int64.self), let slow = buffer.readInteger(as: Int64.self),
                let timeout = buffer.readInteger(as: Int64.self), let refused = buffer.readInteger(as: Int64.self),
                let unreachable = buffer.readInteger(as: Int64.self), let error = buffer.readInteger(as: Int64.self),
                let length = buffer.readInteger(as: Int32.self), length >= 0, buffer.readableBytes >= Int(length),
                let sketch = buffer.readSlice(length: Int(length))
            else {
                throw StoreError(message: "PostgreSQL store: packed pair rows of source \(source) are malformed")
            }
            guard let kind = ProbeKind(code: Int(kindCode)) else { continue }
            result.append(
                window: Int64(minute) * 60, source: source, destination: destination, kind: kind,
                counts: counts(ok, slow, timeout, refused, unreachable, error), encoded: sketch.readableBytesView)
        }
    }

    /// Names of `ids`, from the cache where it has them and the names table for the rest.
    private func names(of ids: Set<Int64>) async throws -> [Int64: String] {
        var result: [Int64: String] = [:]
        let cached = names.withLock { cache in cache.filter { ids.contains($0.value) } }
        for (name, id) in cached { result[id] = name }
        let missing = ids.filter { result[$0] == nil }
        guard !missing.isEmpty else { return result }
        let fetched = try await reading { connection, logger -> [(Int64, String)] in
            var found: [(Int64, String)] = []
            let rows = try await connection.query("SELECT id, name FROM names WHERE id = ANY(\(Array(missing)))", logger: logger)
            for try await row in rows.decode((Int64, String).self) { found.append(row) }
            return found
        }
        names.withLock { cache in
            for (id, name) in fetched { cache[name] = id }
        }
        for (id, name) in fetched { result[id] = name }
        return result
    }
}
