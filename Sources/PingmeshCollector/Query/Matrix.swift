import PingmeshModel

/// A matrix of sources by destinations; a pair without a cell has no data (not zero).
public struct Matrix: Sendable, Codable, Hashable {
    public struct Cell: Sendable, Codable, Hashable {
        public var source: Int
        public var destination: Int
        /// Nil when the statistic does not exist for the cell (every probe failed: no latency).
        public var value: Double?
        public var probes: UInt64
        public var failed: UInt64
        /// SYNs resent by the cell's TCP probes: packets lost though their probes got through.
        public var synRetransmits: UInt64

        public init(source: Int, destination: Int, value: Double?, probes: UInt64, failed: UInt64, synRetransmits: UInt64 = 0) {
            self.source = source
            self.destination = destination
            self.value = value
            self.probes = probes
            self.failed = failed
            self.synRetransmits = synRetransmits
        }

        enum CodingKeys: String, CodingKey {
            case source, destination, value, probes, failed
            case synRetransmits = "syn_retransmits"
        }
    }

    public var level: TopologyLevel
    public var statistic: Statistic
    public var resolution: Resolution
    public var from: Int64
    public var to: Int64
    public var sources: [String]
    public var destinations: [String]
    public var cells: [Cell]

    /// The cell of a named pair, if it has data.
    public func cell(_ source: String, _ destination: String) -> Cell? {
        guard let row = sources.firstIndex(of: source), let column = destinations.firstIndex(of: destination) else { return nil }
        return cells.first { $0.source == row && $0.destination == column }
    }
}
