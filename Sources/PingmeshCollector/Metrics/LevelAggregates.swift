import PingmeshModel

/// `pingmesh_level_rtt_seconds{level,source,destination,percentile}` and
/// `pingmesh_level_loss_ratio{level,source,destination}` for ToR pairs and above, over the last
/// complete minute. At most `cap` values per label: the rest fold into "*", their sketches
/// merged, so a large fabric never floods Prometheus with series. The label is `percentile`
/// (50, 90, 99, 99.9), not `quantile`, which Prometheus keeps for summaries with sum and count.
public struct LevelAggregates: Sendable {
    public static let levels: [TopologyLevel] = [.tor, .podset, .dc]
    public static let quantiles: [(label: String, value: Double)] = [("50", 0.5), ("90", 0.9), ("99", 0.99), ("99.9", 0.999)]

    public var cap: Int

    public init(cap: Int = 50) {
        self.cap = cap
    }

    /// The exposition text for `rows` (one minute of rows per level).
    public func render(_ rowsByLevel: [TopologyLevel: [PairAggregate]]) -> String {
        var rtt: [String] = []
        var loss: [String] = []
        for level in Self.levels {
            let rows = rowsByLevel[level] ?? []
            let keptSources = Self.kept(rows.map(\.source), cap: cap)
            let keptDestinations = Self.kept(rows.map(\.destination), cap: cap)
            var folded: [Pair: (ResultCounts, LatencySketch)] = [:]
            for row in rows {
                let pair = Pair(
                    source: keptSources.contains(row.source) ? row.source : "*",
                    destination: keptDestinations.contains(row.destination) ? row.destination : "*")
                var cell = folded[pair] ?? (ResultCounts(), LatencySketch())
                cell.0.add(row.counts)
                cell.1.merge(row.rtt)
                folded[pair] = cell
            }
            for pair in folded.keys.sorted(by: { ($0.source, $0.destination) < ($1.source, $1.destination) }) {
                let (counts, sketch) = folded[pair]!
                let labels = "level=\"\(level.rawValue)\",source=\"\(Self.escape(pair.source))\",destination=\"\(Self.escape(pair.destination))\""
                for (label, quantile) in Self.quantiles {
                    if let value = sketch.quantileSeconds(quantile) { rtt.append("pingmesh_level_rtt_seconds{\(labels),percentile=\"\(label)\"} \(value)") }
                }
                if let ratio = counts.lossRatio { loss.append("pingmesh_level_loss_ratio{\(labels)} \(ratio)") }
            }
        }
        var text = ""
        text += "# HELP pingmesh_level_rtt_seconds RTT percentiles between components over the last complete minute.\n"
        text += "# TYPE pingmesh_level_rtt_seconds gauge\n"
        for line in rtt { text += line + "\n" }
        text += "# HELP pingmesh_level_loss_ratio Share of failed probes between components over the last complete minute.\n"
        text += "# TYPE pingmesh_level_loss_ratio gauge\n"
        for line in loss { text += line + "\n" }
        return text
    }

    /// The first `cap` distinct values in name order; the rest fold.
    static func kept(_ values: [String], cap: Int) -> Set<String> {
        let distinct = Set(values).sorted()
        return Set(distinct.prefix(distinct.count > cap ? max(cap - 1, 0) : cap))
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    struct Pair: Hashable {
        var source: String
        var destination: String
    }
}
