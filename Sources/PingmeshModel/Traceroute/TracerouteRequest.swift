/// A traceroute an operator asks for: one run per source port, each keeping its 5-tuple fixed so
/// that every probe of the run hashes onto the same ECMP path.
public struct TracerouteRequest: Sendable, Hashable, Codable {
    /// The transport of the probes: TCP SYNs or UDP datagrams. The mesh probes both, and a
    /// switch may hash or filter them differently.
    public enum TransportProtocol: String, Sendable, Hashable, Codable, CaseIterable {
        case tcp
        case udp
    }

    public var `protocol`: TransportProtocol
    /// An IPv4 or IPv6 address literal; names are resolved by the caller, not here.
    public var target: String
    public var port: Int
    /// One run per port, each one ECMP path; empty means one run from a port the kernel picks
    /// (and that the run then keeps).
    public var sourcePorts: [Int]
    /// Local address to leave from, of the target's family; nil lets the kernel choose.
    public var sourceAddress: String?
    public var maxHops: Int
    public var probesPerHop: Int
    /// How long each probe waits for its answer.
    public var timeoutMilliseconds: Int

    public static let defaultMaxHops = 30
    public static let maximumHops = 64
    public static let defaultProbesPerHop = 3
    public static let maximumProbesPerHop = 10
    public static let defaultTimeoutMilliseconds = 1_000
    /// A probe waiting longer than this is waiting for nothing (and the run takes minutes).
    public static let maximumTimeoutMilliseconds = 60_000
    /// Enough runs to spread over the paths of a wide ECMP group without becoming a scan.
    public static let maximumSourcePorts = 64

    public init(
        protocol: TransportProtocol, target: String, port: Int, sourcePorts: [Int] = [], sourceAddress: String? = nil,
        maxHops: Int = Self.defaultMaxHops, probesPerHop: Int = Self.defaultProbesPerHop,
        timeoutMilliseconds: Int = Self.defaultTimeoutMilliseconds
    ) {
        self.protocol = `protocol`
        self.target = target
        self.port = port
        self.sourcePorts = sourcePorts
        self.sourceAddress = sourceAddress
        self.maxHops = maxHops
        self.probesPerHop = probesPerHop
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case `protocol`, target, port
        case sourcePorts = "source_ports"
        case sourceAddress = "source_address"
        case maxHops = "max_hops"
        case probesPerHop = "probes_per_hop"
        case timeoutMilliseconds = "timeout_ms"
    }

    /// Missing optional fields take their defaults, so `{"protocol":"tcp","target":...,"port":...}`
    /// is a whole request.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            protocol: try container.decode(TransportProtocol.self, forKey: .protocol),
            target: try container.decode(String.self, forKey: .target),
            port: try container.decode(Int.self, forKey: .port),
            sourcePorts: try container.decodeIfPresent([Int].self, forKey: .sourcePorts) ?? [],
            sourceAddress: try container.decodeIfPresent(String.self, forKey: .sourceAddress),
            maxHops: try container.decodeIfPresent(Int.self, forKey: .maxHops) ?? Self.defaultMaxHops,
            probesPerHop: try container.decodeIfPresent(Int.self, forKey: .probesPerHop) ?? Self.defaultProbesPerHop,
            timeoutMilliseconds: try container.decodeIfPresent(Int.self, forKey: .timeoutMilliseconds) ?? Self.defaultTimeoutMilliseconds
        )
    }
}

extension TracerouteRequest.TransportProtocol: StrictStringEnum {
    public init(from decoder: any Decoder) throws { self = try Self.decodeStrictly(from: decoder) }
}
