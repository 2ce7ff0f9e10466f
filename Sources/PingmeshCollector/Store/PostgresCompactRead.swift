import NIOCore
import PingmeshModel
import PostgresNIO

extension PostgresResultStore {
    /// The `CompactAggregates` fast path. A 1,000 x 1,000 server matrix is 300,000 rows; sent as
    /// rows, decoding them cell by cell (and every sketch decoded, then encoded again for the
    /// compact form) would be nearly all of the query's time. Here PostgreSQL packs the rows of each
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
                    let piece =
                        Self.isServerMinute(level: level, resolution: resolution)
                        ? try await self.readServerMinutes(minutes: first..<last, sources: sources)
                        : try await self.readCompact(level: level, resolution: resolution, minutes: first..<last, sources: sources)
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

    /// How a row is packed (see `readCompact`).
    struct Packing: Equatable {
        /// Counts as six 64-bit fields; otherwise as three 64-bit fields of two 32-bit halves,
        /// which only server pairs are sure to fit (a server pair cannot send 2^32 probes in a
        /// day; a DC pair can).
        var wideCounts: Bool

        init(level: TopologyLevel) { wideCounts = level != .server }

        /// dst (8), minute << 32 | kind << 24 | sketch length (8), then the counts (`unresolved`,
        /// `retransmitted`, `syn_retransmits` and the jitter's two, in words of their own after
        /// the older six).
        var headerBytes: Int { 8 + 8 + (wideCounts ? 48 : 24) + 40 }

        var countsSQL: String {
            wideCounts
                ? "int8send(ok) || int8send(slow) || int8send(timeout) || int8send(refused) || int8send(unreachable) || int8send(error) || \(laterCountsSQL)"
                : "int8send((ok << 32) | slow) || int8send((timeout << 32) | refused) || int8send((unreachable << 32) | error) || \(laterCountsSQL)"
        }

        private var laterCountsSQL: String {
            "int8send(unresolved) || int8send(retransmitted) || int8send(syn_retransmits) || int8send(jitter_pairs) || int8send(jitter_ns)"
        }
    }

    /// One source's rows packed by PostgreSQL into one bytea. Every `||` and every byte costs
    /// the server time (11 fields and 66 bytes a row take twice as long as this form), so
    /// small fields share 64-bit words. For one window, `minute = X` lets the key scan return
    /// rows in source order, with no sort before the grouping.
    private func readCompact(level: TopologyLevel, resolution: Resolution, minutes: Range<Int64>, sources: Range<Int64>) async throws
        -> CompactAggregates
    {
        let packing = Packing(level: level)
        let step = Int64(resolution.seconds / 60)
        let firstWindow = (minutes.lowerBound + step - 1).floorDivided(by: step) * step
        guard firstWindow < minutes.upperBound else { return CompactAggregates() }
        let oneWindow = firstWindow + step >= minutes.upperBound
        let window =
            oneWindow
            ? "minute = \(Int32(clamping: firstWindow))"
            : "minute >= \(Int32(clamping: minutes.lowerBound)) AND minute < \(Int32(clamping: minutes.upperBound))"
        // Only integers are spliced into the text; they cannot carry SQL.
        let sql = """
            SELECT src, string_agg(
              int8send(dst) || int8send((minute::bigint << 32) | (kind::bigint << 24) | coalesce(length(rtt), 0))
              || \(packing.countsSQL) || coalesce(rtt, ''::bytea), ''::bytea)
            FROM pairs
            WHERE resolution = \(resolution.code) AND level = \(level.code) AND \(window)
              AND src >= \(sources.lowerBound) AND src < \(sources.upperBound)
            GROUP BY src ORDER BY src
            """
        return try await reading { connection, logger in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            var result = CompactAggregates()
            for try await (source, packed) in rows.decode((Int64, ByteBuffer).self) {
                try Self.unpack(packed, source: source, packing: packing, into: &result)
            }
            return result
        }
    }

    /// Walks one source's packed rows (see `readCompact`); a short or inconsistent buffer is an
    /// error, never a partial row.
    static func unpack(_ packed: ByteBuffer, source: Int64, packing: Packing, into result: inout CompactAggregates) throws {
        var buffer = packed
        func malformed() -> StoreError { StoreError(message: "PostgreSQL store: packed pair rows of source \(source) are malformed") }
        while buffer.readableBytes > 0 {
            guard buffer.readableBytes >= packing.headerBytes, let destination = buffer.readInteger(as: Int64.self),
                let word = buffer.readInteger(as: UInt64.self)
            else { throw malformed() }
            // No array per row: this loop runs 300,000 times for a server matrix.
            var counts: ResultCounts
            if packing.wideCounts {
                func next() -> UInt64 { UInt64(max(0, buffer.readInteger(as: Int64.self) ?? 0)) }
                let (ok, slow, timeout, refused, unreachable, error) = (next(), next(), next(), next(), next(), next())
                counts = ResultCounts(ok: ok, slow: slow, timeout: timeout, refused: refused, unreachable: unreachable, error: error)
            } else {
                func next() -> (UInt64, UInt64) {
                    let pair = buffer.readInteger(as: UInt64.self) ?? 0
                    return (pair >> 32, pair & 0xFFFF_FFFF)
                }
                let ((ok, slow), (timeout, refused), (unreachable, error)) = (next(), next(), next())
                counts = ResultCounts(ok: ok, slow: slow, timeout: timeout, refused: refused, unreachable: unreachable, error: error)
            }
            counts.unresolved = UInt64(max(0, buffer.readInteger(as: Int64.self) ?? 0))
            counts.retransmitted = UInt64(max(0, buffer.readInteger(as: Int64.self) ?? 0))
            counts.synRetransmits = UInt64(max(0, buffer.readInteger(as: Int64.self) ?? 0))
            counts.jitterPairs = UInt64(max(0, buffer.readInteger(as: Int64.self) ?? 0))
            counts.jitterNanoseconds = UInt64(max(0, buffer.readInteger(as: Int64.self) ?? 0))
            let minute = Int32(truncatingIfNeeded: word >> 32)
            let kindCode = Int((word >> 24) & 0xFF)
            let length = Int(word & 0xFF_FFFF)
            guard buffer.readableBytes >= length, let sketch = buffer.readSlice(length: length) else { throw malformed() }
            guard let kind = ProbeKind(code: kindCode) else { continue }
            result.append(
                window: Int64(minute) * 60, source: source, destination: destination, kind: kind, counts: counts,
                encoded: sketch.readableBytesView)
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
