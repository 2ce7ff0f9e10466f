import PingmeshModel

/// The rows `ResultStore.aggregates` returns, in the form a query over many of them wants: names
/// as the store's interned ids, and every sketch left encoded in one shared byte array. A
/// 1,000 x 1,000 server matrix reads 300,000 rows; this form costs no string, sketch or
/// allocation per row, and a cell of one row reads its percentile straight from the bytes.
public struct CompactAggregates: Sendable {
    public struct Row: Sendable {
        public var window: Int64
        public var source: Int64
        public var destination: Int64
        public var kind: ProbeKind
        public var counts: ResultCounts
        /// Where the row's encoded sketch lies in `sketchBytes`; empty for no latency.
        public var sketch: Range<Int>
    }

    public var rows: [Row] = []
    /// Names of the ids the rows use.
    public var names: [Int64: String] = [:]
    public var sketchBytes: [UInt8] = []

    public init() {}

    /// The rows of `pieces` one after another (names are not carried over).
    public init(concatenating pieces: [CompactAggregates]) {
        rows.reserveCapacity(pieces.reduce(0) { $0 + $1.rows.count })
        sketchBytes.reserveCapacity(pieces.reduce(0) { $0 + $1.sketchBytes.count })
        for piece in pieces {
            let offset = sketchBytes.count
            sketchBytes.append(contentsOf: piece.sketchBytes)
            for var row in piece.rows {
                row.sketch = (row.sketch.lowerBound + offset)..<(row.sketch.upperBound + offset)
                rows.append(row)
            }
        }
    }

    /// Appends a row whose sketch is `encoded`.
    public mutating func append(
        window: Int64, source: Int64, destination: Int64, kind: ProbeKind, counts: ResultCounts, encoded: some Collection<UInt8>
    ) {
        let start = sketchBytes.count
        sketchBytes.append(contentsOf: encoded)
        rows.append(Row(window: window, source: source, destination: destination, kind: kind, counts: counts, sketch: start..<sketchBytes.count))
    }

    /// The row's sketch, decoded.
    public func sketch(of row: Row) throws -> LatencySketch {
        try LatencySketch(encoded: sketchBytes[row.sketch])
    }

    /// Built from decoded rows, for stores without a faster path: names get ids of their own.
    public init(_ aggregates: [PairAggregate]) {
        var ids: [String: Int64] = [:]
        func id(_ name: String) -> Int64 {
            if let known = ids[name] { return known }
            let new = Int64(ids.count)
            ids[name] = new
            names[new] = name
            return new
        }
        for row in aggregates {
            append(
                window: row.window, source: id(row.source), destination: id(row.destination), kind: row.kind, counts: row.counts,
                encoded: row.rtt.isEmpty ? [] : row.rtt.encoded())
        }
    }
}

extension ResultStore {
    /// Stores without a faster path answer from `aggregates`.
    public func compactAggregates(level: TopologyLevel, resolution: Resolution, from: Int64, to: Int64) async throws -> CompactAggregates {
        CompactAggregates(try await aggregates(level: level, resolution: resolution, from: from, to: to))
    }
}

extension Int64 {
    /// Division rounding toward minus infinity (window arithmetic on times before 1970 too).
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
