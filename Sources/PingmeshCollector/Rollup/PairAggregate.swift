import PingmeshModel

/// What was seen from one source to one destination (servers, ToRs, pods, podsets or data
/// centers) in one window of one resolution, for one probe kind.
public struct PairAggregate: Sendable, Hashable {
    public var level: TopologyLevel
    public var resolution: Resolution
    /// Window start, Unix seconds.
    public var window: Int64
    public var source: String
    public var destination: String
    public var kind: ProbeKind
    public var counts: ResultCounts
    public var rtt: LatencySketch

    public init(
        level: TopologyLevel, resolution: Resolution, window: Int64, source: String, destination: String, kind: ProbeKind,
        counts: ResultCounts, rtt: LatencySketch
    ) {
        self.level = level
        self.resolution = resolution
        self.window = window
        self.source = source
        self.destination = destination
        self.kind = kind
        self.counts = counts
        self.rtt = rtt
    }

    /// The identity of a row: two aggregates with equal keys merge.
    public struct Key: Sendable, Hashable {
        public var window: Int64
        public var source: String
        public var destination: String
        public var kind: ProbeKind
    }

    public var key: Key { Key(window: window, source: source, destination: destination, kind: kind) }

    public mutating func merge(_ other: PairAggregate) {
        counts.add(other.counts)
        rtt.merge(other.rtt)
    }
}
