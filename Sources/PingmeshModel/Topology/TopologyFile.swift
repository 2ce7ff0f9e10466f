/// A topology as written in a file: data centers -> podsets -> pods (one ToR each) -> servers.
/// `TopologyFile.validated` checks it and builds the indexed `Topology`.
public struct TopologyFile: Sendable, Hashable, Codable {
    /// Pinglist settings handed to every agent (interval, timeout, delay, ...).
    public var settings: PinglistSettingsFile?
    /// How agents probe each other: kind and port of the peer's responder.
    public var probe: ProbeFile?
    public var interDC: InterDCFile?
    public var caps: CapsFile?
    public var datacenters: [DataCenterFile]
    public var extraTargets: [ExtraTargetGroupFile]?
    /// The fabric's shape and devices; absent: three tiers (ToR, leaf, spine), no devices named.
    public var fabric: FabricFile?

    public init(
        settings: PinglistSettingsFile? = nil, probe: ProbeFile? = nil, interDC: InterDCFile? = nil, caps: CapsFile? = nil,
        datacenters: [DataCenterFile], extraTargets: [ExtraTargetGroupFile]? = nil, fabric: FabricFile? = nil
    ) {
        self.fabric = fabric
        self.settings = settings
        self.probe = probe
        self.interDC = interDC
        self.caps = caps
        self.datacenters = datacenters
        self.extraTargets = extraTargets
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case settings, probe, caps, datacenters, fabric
        case interDC = "inter_dc"
        case extraTargets = "extra_targets"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        settings = try container.decodeIfPresent(PinglistSettingsFile.self, forKey: .settings)
        probe = try container.decodeIfPresent(ProbeFile.self, forKey: .probe)
        interDC = try container.decodeIfPresent(InterDCFile.self, forKey: .interDC)
        caps = try container.decodeIfPresent(CapsFile.self, forKey: .caps)
        datacenters = try container.decode([DataCenterFile].self, forKey: .datacenters)
        extraTargets = try container.decodeIfPresent([ExtraTargetGroupFile].self, forKey: .extraTargets)
        fabric = try container.decodeIfPresent(FabricFile.self, forKey: .fabric)
    }

    public struct ProbeFile: Sendable, Hashable, Codable {
        public var kind: ProbeKind?
        public var port: Int?

        public init(kind: ProbeKind? = nil, port: Int? = nil) {
            self.kind = kind
            self.port = port
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case kind, port }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            kind = try container.decodeIfPresent(ProbeKind.self, forKey: .kind)
            port = try container.decodeIfPresent(Int.self, forKey: .port)
        }
    }

    /// Pingmesh's third level: a few servers per podset probe selected servers of every other DC.
    public struct InterDCFile: Sendable, Hashable, Codable {
        /// Servers per podset that take part, both as probers and as targets (the first N by order).
        public var serversPerPodset: Int?

        public init(serversPerPodset: Int? = nil) { self.serversPerPodset = serversPerPodset }

        enum CodingKeys: String, CodingKey, CaseIterable { case serversPerPodset = "servers_per_podset" }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            serversPerPodset = try container.decodeIfPresent(Int.self, forKey: .serversPerPodset)
        }
    }

    /// Budgets the controller thins to, deterministically and visibly.
    public struct CapsFile: Sendable, Hashable, Codable {
        public var maxPeersPerAgent: Int?
        public var maxProbesPerSecondPerAgent: Double?
        public var maxInboundProbesPerSecond: Double?

        public init(maxPeersPerAgent: Int? = nil, maxProbesPerSecondPerAgent: Double? = nil, maxInboundProbesPerSecond: Double? = nil) {
            self.maxPeersPerAgent = maxPeersPerAgent
            self.maxProbesPerSecondPerAgent = maxProbesPerSecondPerAgent
            self.maxInboundProbesPerSecond = maxInboundProbesPerSecond
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case maxPeersPerAgent = "max_peers_per_agent"
            case maxProbesPerSecondPerAgent = "max_probes_per_second_per_agent"
            case maxInboundProbesPerSecond = "max_inbound_probes_per_second"
        }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            maxPeersPerAgent = try container.decodeIfPresent(Int.self, forKey: .maxPeersPerAgent)
            maxProbesPerSecondPerAgent = try container.decodeIfPresent(Double.self, forKey: .maxProbesPerSecondPerAgent)
            maxInboundProbesPerSecond = try container.decodeIfPresent(Double.self, forKey: .maxInboundProbesPerSecond)
        }
    }

    public struct DataCenterFile: Sendable, Hashable, Codable {
        public var name: String
        public var region: String?
        /// Whether the ToRs of this DC probe each other (the virtual complete graph); default true.
        /// Groups of self-registered agents set it to probe only the other groups.
        public var torMesh: Bool?
        public var podsets: [PodsetFile]

        public init(name: String, region: String? = nil, torMesh: Bool? = nil, podsets: [PodsetFile]) {
            self.name = name
            self.region = region
            self.torMesh = torMesh
            self.podsets = podsets
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, region, podsets
            case torMesh = "tor_mesh"
        }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            region = try container.decodeIfPresent(String.self, forKey: .region)
            torMesh = try container.decodeIfPresent(Bool.self, forKey: .torMesh)
            podsets = try container.decodeIfPresent([PodsetFile].self, forKey: .podsets) ?? []
        }
    }

    public struct PodsetFile: Sendable, Hashable, Codable {
        public var name: String
        public var pods: [PodFile]

        public init(name: String, pods: [PodFile]) {
            self.name = name
            self.pods = pods
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case name, pods }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            pods = try container.decodeIfPresent([PodFile].self, forKey: .pods) ?? []
        }
    }

    /// A pod: the servers under one ToR switch.
    public struct PodFile: Sendable, Hashable, Codable {
        public var name: String
        /// The ToR's name; the pod's name when absent.
        public var tor: String?
        public var servers: [ServerFile]

        public init(name: String, tor: String? = nil, servers: [ServerFile]) {
            self.name = name
            self.tor = tor
            self.servers = servers
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case name, tor, servers }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            tor = try container.decodeIfPresent(String.self, forKey: .tor)
            servers = try container.decodeIfPresent([ServerFile].self, forKey: .servers) ?? []
        }
    }

    public struct ServerFile: Sendable, Hashable, Codable {
        public var name: String
        public var ipv4: String?
        public var ipv6: String?
        public var labels: [String: String]?

        public init(name: String, ipv4: String? = nil, ipv6: String? = nil, labels: [String: String]? = nil) {
            self.name = name
            self.ipv4 = ipv4
            self.ipv6 = ipv6
            self.labels = labels
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case name, ipv4, ipv6, labels }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            ipv4 = try container.decodeIfPresent(String.self, forKey: .ipv4)
            ipv6 = try container.decodeIfPresent(String.self, forKey: .ipv6)
            labels = try container.decodeIfPresent([String: String].self, forKey: .labels)
        }
    }

    /// Targets outside the mesh (HTTP endpoints, DNS servers, external IPs) for the agents a
    /// selector picks: the seeds' PingTaskGroup.
    public struct ExtraTargetGroupFile: Sendable, Hashable, Codable {
        public var name: String
        /// Agent labels to match (`dc`, `podset`, `pod`, `tor`, `region`, `name` and server labels);
        /// every agent when absent.
        public var selector: [String: String]?
        /// The share of matching agents that probe the group (0 < weight <= 1, default 1), picked by
        /// a stable hash, so an external endpoint is not probed by every server in a data center.
        public var weight: Double?
        public var targets: [TargetFile]

        public init(name: String, selector: [String: String]? = nil, weight: Double? = nil, targets: [TargetFile]) {
            self.name = name
            self.selector = selector
            self.weight = weight
            self.targets = targets
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case name, selector, weight, targets }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            selector = try container.decodeIfPresent([String: String].self, forKey: .selector)
            weight = try container.decodeIfPresent(Double.self, forKey: .weight)
            targets = try container.decodeIfPresent([TargetFile].self, forKey: .targets) ?? []
        }
    }
}
