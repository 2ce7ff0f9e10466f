/// What an agent tells the controller about itself (`POST /v1/agents`): enough to place it in a
/// mesh that no topology file describes (ProberMesh's dynamic mode).
public struct AgentRegistration: Sendable, Hashable, Codable {
    public var name: String
    public var addresses: [String]
    public var labels: [String: String]
    public var version: String?

    public init(name: String, addresses: [String], labels: [String: String] = [:], version: String? = nil) {
        self.name = name
        self.addresses = addresses
        self.labels = labels
        self.version = version
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case name, addresses, labels, version }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        addresses = try container.decode([String].self, forKey: .addresses)
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        version = try container.decodeIfPresent(String.self, forKey: .version)
    }

    /// The problems with this registration, each naming its field.
    public func validationIssues() -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        if name.isEmpty || name.count > 253 || name.contains(where: { $0.isWhitespace || $0 == "/" }) {
            issues.append(.init(path: "name", reason: "must be 1 to 253 characters without spaces or '/'"))
        }
        if addresses.isEmpty { issues.append(.init(path: "addresses", reason: "at least one IP address is needed")) }
        var families = Set<IPAddressFamily>()
        for (index, address) in addresses.enumerated() {
            guard let family = IPAddressFamily.of(literal: address) else {
                issues.append(.init(path: "addresses[\(index)]", reason: "'\(address)' is not an IPv4 or IPv6 address"))
                continue
            }
            if !families.insert(family).inserted {
                issues.append(.init(path: "addresses[\(index)]", reason: "one address per family (IPv4, IPv6)"))
            }
        }
        PinglistFile.checkLabels(labels, path: "labels", issues: &issues)
        return issues
    }
}

/// How self-registered agents form a mesh.
public struct RegistrationMesh: Sendable, Hashable {
    /// Agents are grouped by this label's value (agents without it form the group "default").
    public var groupLabel: String
    /// Whether agents probe the agents of their own group too, not only the other groups.
    public var probeOwnGroup: Bool

    public init(groupLabel: String = "region", probeOwnGroup: Bool = false) {
        self.groupLabel = groupLabel
        self.probeOwnGroup = probeOwnGroup
    }
}

extension TopologyFile {
    /// This topology with registered agents added. An agent the file already names is left as
    /// the file has it; the others join a data center named after their group, each agent its
    /// own podset and pod, so that every agent probes every agent of the other groups (and of
    /// its own group when asked).
    public func merging(_ registrations: [AgentRegistration], mesh: RegistrationMesh) -> TopologyFile {
        let known = Set(datacenters.flatMap { $0.podsets.flatMap { $0.pods.flatMap { $0.servers.map(\.name) } } })
        var merged = self
        let newcomers = registrations.filter { !known.contains($0.name) }.sorted { $0.name < $1.name }
        let groups = Dictionary(grouping: newcomers) { $0.labels[mesh.groupLabel] ?? "default" }
        for group in groups.keys.sorted() {
            let podsets = groups[group]!.map { agent in
                PodsetFile(
                    name: agent.name,
                    pods: [
                        PodFile(
                            name: agent.name,
                            servers: [
                                ServerFile(
                                    name: agent.name, ipv4: agent.addresses.first { IPAddressFamily.of(literal: $0) == .ipv4 },
                                    ipv6: agent.addresses.first { IPAddressFamily.of(literal: $0) == .ipv6 },
                                    labels: agent.labels.filter { !Self.placementLabels.contains($0.key) })
                            ])
                    ])
            }
            if let index = merged.datacenters.firstIndex(where: { $0.name == group }) {
                merged.datacenters[index].podsets += podsets
            } else {
                merged.datacenters.append(
                    DataCenterFile(
                        name: group, region: mesh.groupLabel == "region" ? group : nil, torMesh: mesh.probeOwnGroup, podsets: podsets))
            }
        }
        if !groups.isEmpty, merged.interDC?.serversPerPodset == nil {
            merged.interDC = InterDCFile(serversPerPodset: 1)
        }
        return merged
    }
}
