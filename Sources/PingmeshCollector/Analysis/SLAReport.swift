import PingmeshModel

/// Whether each component (a server, ToR, pod, podset or data center) met its latency and loss SLA,
/// window by window, over a time range. A component's traffic in a window is every probe it sent
/// or received at its level (pairs with it as source or destination, itself to itself included),
/// its sketches merged, so its P99 is the P99 of those probes, exact to the sketch's precision.
public struct SLAReport: Sendable, Codable, Hashable {
    /// The thresholds a window is held to; Pingmesh's defaults: P99 5 ms, loss 1e-3.
    public struct Thresholds: Sendable, Codable, Hashable {
        public var p99Seconds: Double
        public var loss: Double

        public init(p99Seconds: Double = 0.005, loss: Double = 0.001) {
            self.p99Seconds = p99Seconds
            self.loss = loss
        }
    }

    public struct Window: Sendable, Codable, Hashable {
        public var window: Int64
        public var probes: UInt64
        public var p50Seconds: Double?
        public var p99Seconds: Double?
        public var p999Seconds: Double?
        public var loss: Double
        public var inSLA: Bool
    }

    public struct Component: Sendable, Codable, Hashable {
        public var name: String
        /// Windows with probes, and those within the thresholds.
        public var windows: Int
        public var windowsInSLA: Int
        /// windowsInSLA / windows: the share of time in SLA.
        public var shareInSLA: Double
        /// Over the whole range, all windows merged.
        public var probes: UInt64
        public var p50Seconds: Double?
        public var p99Seconds: Double?
        public var p999Seconds: Double?
        public var loss: Double
        /// The latest windows that violated the SLA, newest first (at most 20).
        public var violations: [Window]
    }

    public var level: TopologyLevel
    public var resolution: Resolution
    public var from: Int64
    public var to: Int64
    public var thresholds: Thresholds
    /// Worst share in SLA first, then by name.
    public var components: [Component]

    /// Builds the report from the rows of one level and resolution.
    public init(level: TopologyLevel, resolution: Resolution, from: Int64, to: Int64, thresholds: Thresholds, rows: [PairAggregate]) {
        self.level = level
        self.resolution = resolution
        self.from = from
        self.to = to
        self.thresholds = thresholds
        struct Tally {
            var counts = ResultCounts()
            var rtt = LatencySketch()
            mutating func add(_ row: PairAggregate) {
                counts.add(row.counts)
                rtt.merge(row.rtt)
            }
        }
        var perWindow: [String: [Int64: Tally]] = [:]
        for row in rows {
            perWindow[row.source, default: [:]][row.window, default: Tally()].add(row)
            if row.destination != row.source { perWindow[row.destination, default: [:]][row.window, default: Tally()].add(row) }
        }
        func window(_ start: Int64, _ tally: Tally) -> Window {
            let p99 = tally.rtt.quantileSeconds(0.99)
            let loss = tally.counts.lossRatio ?? 0
            return Window(
                window: start, probes: tally.counts.total, p50Seconds: tally.rtt.quantileSeconds(0.5), p99Seconds: p99,
                p999Seconds: tally.rtt.quantileSeconds(0.999), loss: loss,
                inSLA: loss <= thresholds.loss && (p99 ?? 0) <= thresholds.p99Seconds)
        }
        components = perWindow.map { name, windows in
            var total = Tally()
            var judged: [Window] = []
            for (start, tally) in windows where tally.counts.total > 0 {
                total.counts.add(tally.counts)
                total.rtt.merge(tally.rtt)
                judged.append(window(start, tally))
            }
            let inSLA = judged.filter(\.inSLA).count
            return Component(
                name: name, windows: judged.count, windowsInSLA: inSLA, shareInSLA: judged.isEmpty ? 1 : Double(inSLA) / Double(judged.count),
                probes: total.counts.total, p50Seconds: total.rtt.quantileSeconds(0.5), p99Seconds: total.rtt.quantileSeconds(0.99),
                p999Seconds: total.rtt.quantileSeconds(0.999), loss: total.counts.lossRatio ?? 0,
                violations: Array(judged.filter { !$0.inSLA }.sorted { $0.window > $1.window }.prefix(20)))
        }
        .sorted { ($0.shareInSLA, $0.name) < ($1.shareInSLA, $1.name) }
    }
}
