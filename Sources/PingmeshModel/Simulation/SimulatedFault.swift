/// A fault injected into `pingmesh up`'s simulated data center: loopback has no switches, so the
/// simulated agents and their probes misbehave as the named component would make them.
public struct SimulatedFault: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The server stops answering and its agent stops reporting.
        case serverDown = "server-down"
        /// Every server under the ToR goes dark, agents included.
        case torDown = "tor-down"
        /// The ToR drops every packet of a share of the IP pairs through it.
        case blackHole = "black-hole"
        /// The ToR drops the packets of one source port (one ECMP path) for half the IP pairs through it.
        case portBlackHole = "port-black-hole"
        /// Random drops on every path through the target (a ToR, a podset's leaves, a DC's spines, a DC link).
        case drops
        /// Latency added on every path through the target.
        case latency
    }

    public var id: String
    public var kind: Kind
    public var target: String
    /// Drop probability (drops).
    public var rate: Double?
    /// Share of IP pairs black-holed (black-hole).
    public var share: Double?
    /// Added round-trip time (latency).
    public var latencyMs: Double?
    /// The source port black-holed (port-black-hole).
    public var port: Int?
    /// When it was injected, Unix seconds.
    public var since: Int64

    public init(
        id: String, kind: Kind, target: String, rate: Double? = nil, share: Double? = nil, latencyMs: Double? = nil, port: Int? = nil, since: Int64
    ) {
        self.port = port
        self.id = id
        self.kind = kind
        self.target = target
        self.rate = rate
        self.share = share
        self.latencyMs = latencyMs
        self.since = since
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, target, rate, share, since, port
        case latencyMs = "latency_ms"
    }

    public func encode(to encoder: any Encoder) throws {
        // Absent figures are written as null, so a client reads every field of every fault.
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(target, forKey: .target)
        try container.encode(rate, forKey: .rate)
        try container.encode(share, forKey: .share)
        try container.encode(latencyMs, forKey: .latencyMs)
        try container.encode(port, forKey: .port)
        try container.encode(since, forKey: .since)
    }
}

/// What an operator asks to inject: `pingmesh fault inject`, the web UI, `POST /v1/faults`.
public struct SimulatedFaultRequest: Sendable, Codable, Hashable {
    public var kind: String
    public var target: String
    public var rate: Double?
    public var share: Double?
    public var latencyMs: Double?
    public var port: Int?

    public init(kind: String, target: String, rate: Double? = nil, share: Double? = nil, latencyMs: Double? = nil, port: Int? = nil) {
        self.port = port
        self.kind = kind
        self.target = target
        self.rate = rate
        self.share = share
        self.latencyMs = latencyMs
    }

    enum CodingKeys: String, CodingKey {
        case kind, target, rate, share, port
        case latencyMs = "latency_ms"
    }
}

/// The names a fault may target in the simulated data center.
public struct SimulatedFaultTargets: Sendable, Codable, Hashable {
    public var servers: [String]
    public var tors: [String]
    public var podsets: [String]
    public var datacenters: [String]
    /// Data-center links, "dc1-dc2".
    public var links: [String]
    /// The source ports probes rotate over (each an ECMP path), for port-black-hole.
    public var sourcePorts: [Int]

    public init(servers: [String], tors: [String], podsets: [String], datacenters: [String], links: [String], sourcePorts: [Int] = []) {
        self.sourcePorts = sourcePorts
        self.servers = servers
        self.tors = tors
        self.podsets = podsets
        self.datacenters = datacenters
        self.links = links
    }

    enum CodingKeys: String, CodingKey {
        case servers, tors, podsets, datacenters, links
        case sourcePorts = "source_ports"
    }
}

/// A fault request that cannot be carried out; the message names the field and why.
public struct SimulatedFaultError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Fault injection into a simulated data center, as the collector's `/v1/faults` serves it.
public protocol SimulatedFaultControl: Sendable {
    var faults: [SimulatedFault] { get }
    var targets: SimulatedFaultTargets { get }
    func inject(_ request: SimulatedFaultRequest) throws(SimulatedFaultError) -> SimulatedFault
    /// False when no fault has that id.
    func clear(id: String) -> Bool
    func clearAll()
}
