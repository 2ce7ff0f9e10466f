import NIOCore
import PingmeshModel
import PostgresNIO

/// The primary key of a `pairs` row with names as ids. Its order is the table's key order, the
/// order in which every writer locks pair rows.
struct PostgresPairKey: Hashable, Comparable, Sendable {
    var resolution: Int16
    var level: Int16
    var minute: Int32
    var src: Int64
    var dst: Int64
    var kind: Int16

    static func < (a: Self, b: Self) -> Bool {
        (a.resolution, a.level, a.minute, a.src, a.dst, a.kind) < (b.resolution, b.level, b.minute, b.src, b.dst, b.kind)
    }
}

/// Pair rows ready for the store: rows with the same key already merged (a batch may hold two
/// windows of one minute), names still names until the transaction has interned them.
struct PostgresPairRows: Sendable {
    struct Value: Sendable {
        var counts: ResultCounts
        var rtt: LatencySketch
    }

    struct NamedKey: Hashable, Sendable {
        var resolution: Int16
        var level: Int16
        var minute: Int32
        var source: String
        var destination: String
        var kind: Int16
    }

    private(set) var rows: [NamedKey: Value] = [:]
    /// Every server or group name the rows mention.
    private(set) var names: Set<String> = []

    init(_ aggregates: [PairAggregate]) throws {
        for row in aggregates {
            let key = NamedKey(
                resolution: Int16(row.resolution.code), level: Int16(row.level.code), minute: try PostgresResultStore.minute(row.window),
                source: row.source, destination: row.destination, kind: Int16(row.kind.code))
            if var value = rows[key] {
                value.counts.add(row.counts)
                value.rtt.merge(row.rtt)
                rows[key] = value
            } else {
                rows[key] = Value(counts: row.counts, rtt: row.rtt)
            }
            names.insert(row.source)
            names.insert(row.destination)
        }
    }

    var isEmpty: Bool { rows.isEmpty }

    /// The rows keyed by ids.
    func resolved(_ id: (String) throws -> Int64) throws -> [PostgresPairKey: Value] {
        var result: [PostgresPairKey: Value] = [:]
        for (key, value) in rows {
            let resolved = PostgresPairKey(
                resolution: key.resolution, level: key.level, minute: key.minute, src: try id(key.source), dst: try id(key.destination),
                kind: key.kind)
            result[resolved] = value
        }
        return result
    }
}

/// Pair rows as one array per column, for `unnest` (one statement however many rows).
struct PostgresPairColumns {
    var resolution: [Int16] = []
    var level: [Int16] = []
    var minute: [Int32] = []
    var src: [Int64] = []
    var dst: [Int64] = []
    var kind: [Int16] = []
    var ok: [Int64] = []
    var slow: [Int64] = []
    var timeout: [Int64] = []
    var refused: [Int64] = []
    var unreachable: [Int64] = []
    var error: [Int64] = []
    var rtt: [ByteBuffer] = []
    var unresolved: [Int64] = []
    var retransmitted: [Int64] = []
    var synRetransmits: [Int64] = []
    var jitterPairs: [Int64] = []
    var jitterNanoseconds: [Int64] = []

    init(_ rows: some Collection<(key: PostgresPairKey, value: PostgresPairRows.Value)>) {
        for (key, value) in rows {
            resolution.append(key.resolution)
            level.append(key.level)
            minute.append(key.minute)
            src.append(key.src)
            dst.append(key.dst)
            kind.append(key.kind)
            let counts = value.counts
            ok.append(Int64(clamping: counts.ok))
            slow.append(Int64(clamping: counts.slow))
            timeout.append(Int64(clamping: counts.timeout))
            refused.append(Int64(clamping: counts.refused))
            unreachable.append(Int64(clamping: counts.unreachable))
            error.append(Int64(clamping: counts.error))
            rtt.append(PostgresResultStore.bytes(value.rtt))
            unresolved.append(Int64(clamping: counts.unresolved))
            retransmitted.append(Int64(clamping: counts.retransmitted))
            synRetransmits.append(Int64(clamping: counts.synRetransmits))
            jitterPairs.append(Int64(clamping: counts.jitterPairs))
            jitterNanoseconds.append(Int64(clamping: counts.jitterNanoseconds))
        }
    }
}

extension PostgresQuery.StringInterpolation {
    /// `unnest(...) AS t(resolution, ..., rtt)`: the columns as a table, each array one bind
    /// parameter.
    mutating func appendInterpolation(unnest columns: PostgresPairColumns) {
        appendLiteral("unnest(")
        appendInterpolation(columns.resolution)
        appendLiteral("::smallint[], ")
        appendInterpolation(columns.level)
        appendLiteral("::smallint[], ")
        appendInterpolation(columns.minute)
        appendLiteral("::integer[], ")
        appendInterpolation(columns.src)
        appendLiteral("::bigint[], ")
        appendInterpolation(columns.dst)
        appendLiteral("::bigint[], ")
        appendInterpolation(columns.kind)
        appendLiteral("::smallint[], ")
        for counts in [columns.ok, columns.slow, columns.timeout, columns.refused, columns.unreachable, columns.error] {
            appendInterpolation(counts)
            appendLiteral("::bigint[], ")
        }
        appendInterpolation(columns.rtt)
        appendLiteral("::bytea[], ")
        for counts in [columns.unresolved, columns.retransmitted, columns.synRetransmits, columns.jitterPairs] {
            appendInterpolation(counts)
            appendLiteral("::bigint[], ")
        }
        appendInterpolation(columns.jitterNanoseconds)
        appendLiteral(
            "::bigint[]) AS t(resolution, level, minute, src, dst, kind, ok, slow, timeout, refused, unreachable, error, rtt, unresolved, retransmitted, syn_retransmits, jitter_pairs, jitter_ns)"
        )
    }
}
