/// What a run of probes to one target measured, from the answered probes' RTTs in the order they
/// were sent: `pingmesh probe`'s summary line.
public struct RTTSummary: Sendable, Hashable {
    public var count: Int
    public var minimum: Duration
    public var mean: Duration
    public var maximum: Duration
    /// Nearest-rank percentiles: each is one of the measured RTTs.
    public var p50: Duration
    public var p99: Duration
    /// The mean absolute difference of successive RTTs: the jitter every window summary carries
    /// (`ResultCounts.jitterSeconds`, RFC 3393's IPDV between consecutive answered probes,
    /// averaged); nil with fewer than two RTTs.
    public var jitter: Duration?
    /// The population standard deviation, the spread smokeping reports.
    public var standardDeviation: Duration

    /// Nil when no probe was answered.
    public init?(_ rtts: [Duration]) {
        guard let low = rtts.min(), let high = rtts.max() else { return nil }
        count = rtts.count
        minimum = low
        maximum = high
        let seconds = rtts.map(\.seconds)
        let meanSeconds = seconds.reduce(0, +) / Double(seconds.count)
        mean = .seconds(meanSeconds)
        let sorted = rtts.sorted()
        p50 = Self.percentile(sorted, 0.5)
        p99 = Self.percentile(sorted, 0.99)
        let changes = zip(seconds, seconds.dropFirst()).map { abs($1 - $0) }
        jitter = changes.isEmpty ? nil : .seconds(changes.reduce(0, +) / Double(changes.count))
        let variance = seconds.map { ($0 - meanSeconds) * ($0 - meanSeconds) }.reduce(0, +) / Double(seconds.count)
        standardDeviation = .seconds(variance.squareRoot())
    }

    /// The nearest-rank `q` percentile of ascending `sorted`, which is not empty.
    public static func percentile(_ sorted: [Duration], _ q: Double) -> Duration {
        sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * q).rounded(.up)) - 1))]
    }
}
