/// One run of a traceroute: every probe from one source port, so one ECMP path.
public struct TraceroutePath: Sendable, Hashable, Codable {
    /// The port the run's probes left from (the kernel's pick when the request named none).
    public var sourcePort: Int
    /// One per TTL probed, from 1 up.
    public var hops: [TracerouteHop]
    public var reachedDestination: Bool
    /// The first TTL from which no hop answered any probe, while the destination was not reached:
    /// where the path goes dark. nil when the destination was reached, and when the last TTL
    /// probed still answered (the run ended at max hops or at a router's "unreachable").
    public var lossStartsAtHop: Int?

    public init(sourcePort: Int, hops: [TracerouteHop], reachedDestination: Bool, lossStartsAtHop: Int?) {
        self.sourcePort = sourcePort
        self.hops = hops
        self.reachedDestination = reachedDestination
        self.lossStartsAtHop = lossStartsAtHop
    }

    /// A path whose `reachedDestination` and `lossStartsAtHop` follow from its hops.
    public init(sourcePort: Int, hops: [TracerouteHop]) {
        let reached = hops.contains(where: \.isDestination)
        self.init(sourcePort: sourcePort, hops: hops, reachedDestination: reached, lossStartsAtHop: reached ? nil : Self.lossStart(of: hops))
    }

    /// The TTL right after the last hop that answered, if some probed hop follows it.
    static func lossStart(of hops: [TracerouteHop]) -> Int? {
        let lastAnswered = hops.last(where: { $0.received > 0 })
        guard let firstSilent = hops.first(where: { $0.ttl > (lastAnswered?.ttl ?? 0) }) else { return nil }
        return firstSilent.ttl
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case hops
        case sourcePort = "source_port"
        case reachedDestination = "reached_destination"
        case lossStartsAtHop = "loss_starts_at_hop"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sourcePort = try container.decode(Int.self, forKey: .sourcePort)
        hops = try container.decode([TracerouteHop].self, forKey: .hops)
        reachedDestination = try container.decode(Bool.self, forKey: .reachedDestination)
        lossStartsAtHop = try container.decodeIfPresent(Int.self, forKey: .lossStartsAtHop)
    }
}
