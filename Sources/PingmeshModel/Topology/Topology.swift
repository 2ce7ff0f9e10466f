/// A validated topology, flattened and indexed for pinglist generation: servers in file order,
/// each pod a contiguous range of servers, each podset a range of pods, each DC a range of podsets.
public struct Topology: Sendable {
    public struct Server: Sendable, Hashable {
        public var name: String
        public var ipv4: String?
        public var ipv6: String?
        public var labels: [String: String]
        public var pod: Int
    }

    public struct Pod: Sendable, Hashable {
        public var name: String
        public var tor: String
        public var podset: Int
        public var servers: Range<Int>
    }

    public struct Podset: Sendable, Hashable {
        public var name: String
        public var datacenter: Int
        public var pods: Range<Int>
    }

    public struct DataCenter: Sendable, Hashable {
        public var name: String
        public var region: String?
        /// Whether its ToRs probe each other.
        public var torMesh: Bool
        public var podsets: Range<Int>
    }

    /// Budgets the plan is thinned to.
    public struct Caps: Sendable, Hashable {
        public var maxPeersPerAgent: Int?
        public var maxProbesPerSecondPerAgent: Double?
        public var maxInboundProbesPerSecond: Double?

        public init(maxPeersPerAgent: Int? = nil, maxProbesPerSecondPerAgent: Double? = nil, maxInboundProbesPerSecond: Double? = nil) {
            self.maxPeersPerAgent = maxPeersPerAgent
            self.maxProbesPerSecondPerAgent = maxProbesPerSecondPerAgent
            self.maxInboundProbesPerSecond = maxInboundProbesPerSecond
        }
    }

    /// Extra targets for the agents a selector picks.
    public struct ExtraTargetGroup: Sendable, Hashable {
        public var name: String
        public var selector: [String: String]
        public var weight: Double
        public var targets: [TargetFile]
    }

    public var servers: [Server]
    public var pods: [Pod]
    public var podsets: [Podset]
    public var datacenters: [DataCenter]
    /// Settings as written, handed on to every agent's pinglist.
    public var settings: PinglistSettingsFile
    /// The same with defaults applied.
    public var effectiveSettings: ProbeSettings
    public var probeKind: ProbeKind
    public var probePort: Int
    public var interDCServersPerPodset: Int
    public var caps: Caps
    public var extraTargets: [ExtraTargetGroup]
    /// Server index by name.
    public var serverIndex: [String: Int]
    /// The fabric's shape and devices.
    public var fabric: FabricDescription = .standard

    /// How many addresses of `server` an agent probes: one per family the settings allow.
    public func addresses(of server: Int) -> [String] {
        let preference = effectiveSettings.ipProtocol
        var result: [String] = []
        if let v4 = servers[server].ipv4, preference.allows(.ipv4) { result.append(v4) }
        if let v6 = servers[server].ipv6, preference.allows(.ipv6) { result.append(v6) }
        return result
    }

    public func pod(of server: Int) -> Pod { pods[servers[server].pod] }
    public func podset(of server: Int) -> Podset { podsets[pods[servers[server].pod].podset] }
    public func datacenterIndex(of server: Int) -> Int { podsets[pods[servers[server].pod].podset].datacenter }

    /// The labels that place a server: region, dc, podset, pod, tor, plus its own labels.
    public func topologyLabels(of server: Int) -> [String: String] {
        let pod = pods[servers[server].pod]
        let podset = podsets[pod.podset]
        let datacenter = datacenters[podset.datacenter]
        var labels = servers[server].labels
        labels["dc"] = datacenter.name
        labels["podset"] = podset.name
        labels["pod"] = pod.name
        labels["tor"] = pod.tor
        if let region = datacenter.region { labels["region"] = region }
        return labels
    }
}
