/// One pair over time.
public struct Series: Sendable, Codable, Hashable {
    public struct Point: Sendable, Codable, Hashable {
        public var window: Int64
        public var probes: UInt64
        public var failed: UInt64
        /// SYNs resent by the window's TCP probes: lost packets of probes that got through.
        public var synRetransmits: UInt64
        /// Lost packets over sent packets (failed probes and resent SYNs).
        public var loss: Double?
        public var p50: Double?
        public var p90: Double?
        public var p99: Double?
        public var p999: Double?
        public var max: Double?
        /// Seconds: the mean absolute RTT difference of successive answered probes (see
        /// `ResultCounts.jitterSeconds`); nil with no two answered probes in a row.
        public var jitter: Double?

        enum CodingKeys: String, CodingKey {
            case window, probes, failed, loss, p50, p90, p99, max, jitter
            case synRetransmits = "syn_retransmits"
            case p999 = "p99_9"
        }
    }

    public var level: TopologyLevel
    public var resolution: Resolution
    public var source: String
    public var destination: String
    public var points: [Point]
}
