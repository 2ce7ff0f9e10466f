import PingmeshModel

/// What a matrix cell or a series point shows.
public enum Statistic: String, Sendable, Hashable, Codable, CaseIterable {
    case p50, p90, p99, p999 = "p99.9", p9999 = "p99.99", loss, count

    /// The quantile a latency statistic reads, nil for loss and count.
    var quantile: Double? {
        switch self {
        case .p50: return 0.5
        case .p90: return 0.9
        case .p99: return 0.99
        case .p999: return 0.999
        case .p9999: return 0.9999
        case .loss, .count: return nil
        }
    }

    /// The value of this statistic for an aggregate: seconds for latencies, a ratio for loss,
    /// probes for count. Nil when it does not exist (no answered probe has no latency).
    public func value(of counts: ResultCounts, rtt: LatencySketch) -> Double? {
        switch self {
        case .loss: return counts.lossRatio
        case .count: return Double(counts.total)
        default: return rtt.quantileSeconds(quantile ?? 0.5)
        }
    }
}
