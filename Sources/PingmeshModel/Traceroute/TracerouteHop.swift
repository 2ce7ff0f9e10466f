/// One TTL of a traceroute path: who answered the probes sent with it, and how fast.
public struct TracerouteHop: Sendable, Hashable, Codable {
    public var ttl: Int
    /// The responder, nil when no probe was answered. If different routers answered the probes
    /// of one TTL (the path changed mid-run), the first one's address.
    public var address: String?
    public var sent: Int
    public var received: Int
    public var rttMinMilliseconds: Double?
    public var rttAvgMilliseconds: Double?
    public var rttMaxMilliseconds: Double?
    /// The target itself answered at this TTL (a SYN-ACK, RST or port unreachable).
    public var isDestination: Bool

    public init(
        ttl: Int, address: String?, sent: Int, received: Int, rttMinMilliseconds: Double?, rttAvgMilliseconds: Double?,
        rttMaxMilliseconds: Double?, isDestination: Bool
    ) {
        self.ttl = ttl
        self.address = address
        self.sent = sent
        self.received = received
        self.rttMinMilliseconds = rttMinMilliseconds
        self.rttAvgMilliseconds = rttAvgMilliseconds
        self.rttMaxMilliseconds = rttMaxMilliseconds
        self.isDestination = isDestination
    }

    /// A hop from the round-trip times of its answered probes.
    public init(ttl: Int, address: String?, sent: Int, rttsMilliseconds: [Double], isDestination: Bool) {
        self.init(
            ttl: ttl, address: address, sent: sent, received: rttsMilliseconds.count, rttMinMilliseconds: rttsMilliseconds.min(),
            rttAvgMilliseconds: rttsMilliseconds.isEmpty ? nil : rttsMilliseconds.reduce(0, +) / Double(rttsMilliseconds.count),
            rttMaxMilliseconds: rttsMilliseconds.max(), isDestination: isDestination)
    }

    /// Share of this hop's probes that went unanswered, 0...1.
    public var loss: Double { sent == 0 ? 0 : Double(sent - received) / Double(sent) }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case ttl, address, sent, received
        case rttMinMilliseconds = "rtt_min_ms"
        case rttAvgMilliseconds = "rtt_avg_ms"
        case rttMaxMilliseconds = "rtt_max_ms"
        case isDestination = "is_destination"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ttl = try container.decode(Int.self, forKey: .ttl)
        address = try container.decodeIfPresent(String.self, forKey: .address)
        sent = try container.decode(Int.self, forKey: .sent)
        received = try container.decode(Int.self, forKey: .received)
        rttMinMilliseconds = try container.decodeIfPresent(Double.self, forKey: .rttMinMilliseconds)
        rttAvgMilliseconds = try container.decodeIfPresent(Double.self, forKey: .rttAvgMilliseconds)
        rttMaxMilliseconds = try container.decodeIfPresent(Double.self, forKey: .rttMaxMilliseconds)
        isDestination = try container.decode(Bool.self, forKey: .isDestination)
    }
}
