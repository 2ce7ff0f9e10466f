/// The parts of the Kubernetes API objects the controller reads, decoded leniently: the API
/// server sends far more fields than these, and new ones appear with every release.
public enum Kubernetes {
    public struct ObjectMeta: Sendable, Hashable, Codable {
        public var name: String
        public var namespace: String?
        public var labels: [String: String]?
        public var resourceVersion: String?

        public init(name: String, namespace: String? = nil, labels: [String: String]? = nil, resourceVersion: String? = nil) {
            self.name = name
            self.namespace = namespace
            self.labels = labels
            self.resourceVersion = resourceVersion
        }
    }

    public struct ListMeta: Sendable, Hashable, Codable {
        public var resourceVersion: String?
    }

    public struct NodeAddress: Sendable, Hashable, Codable {
        public var type: String
        public var address: String

        public init(type: String, address: String) {
            self.type = type
            self.address = address
        }
    }

    public struct Node: Sendable, Hashable, Codable {
        public struct Status: Sendable, Hashable, Codable {
            public var addresses: [NodeAddress]?
        }
        public var metadata: ObjectMeta
        public var status: Status?

        public init(name: String, labels: [String: String] = [:], addresses: [NodeAddress]) {
            metadata = ObjectMeta(name: name, labels: labels)
            status = Status(addresses: addresses)
        }
    }

    public struct Pod: Sendable, Hashable, Codable {
        public struct Spec: Sendable, Hashable, Codable {
            public var nodeName: String?
        }
        public struct PodIP: Sendable, Hashable, Codable {
            public var ip: String
        }
        public struct Status: Sendable, Hashable, Codable {
            public var podIP: String?
            public var podIPs: [PodIP]?
            public var phase: String?
        }
        public var metadata: ObjectMeta
        public var spec: Spec?
        public var status: Status?
    }

    public struct List<Item: Codable & Sendable & Hashable>: Sendable, Codable {
        public var metadata: ListMeta?
        public var items: [Item]
    }

    /// One line of a watch stream.
    public struct WatchEvent<Object: Codable & Sendable>: Sendable, Decodable {
        public var type: String
        /// The object for ADDED, MODIFIED, DELETED and BOOKMARK; a Status for ERROR.
        public var object: Object?
        public var status: Status?

        enum CodingKeys: String, CodingKey { case type, object }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decode(String.self, forKey: .type)
            if type == "ERROR" {
                status = try container.decodeIfPresent(Status.self, forKey: .object)
            } else {
                object = try container.decodeIfPresent(Object.self, forKey: .object)
            }
        }
    }

    /// A metav1.Status, as sent in a watch ERROR event (410 Gone when the version expired).
    public struct Status: Sendable, Hashable, Codable {
        public var code: Int?
        public var reason: String?
        public var message: String?
    }
}

/// How Kubernetes objects become servers of the topology.
public struct KubernetesPlacement: Sendable, Hashable {
    /// The node label naming its ToR (rack); a node without it is a ToR of its own.
    public var torLabel: String
    /// The node label naming its podset; the zone when absent.
    public var podsetLabel: String

    public init(torLabel: String = "topology.pingmesh.io/tor", podsetLabel: String = "topology.pingmesh.io/podset") {
        self.torLabel = torLabel
        self.podsetLabel = podsetLabel
    }

    public static let regionLabel = "topology.kubernetes.io/region"
    public static let zoneLabel = "topology.kubernetes.io/zone"

    /// Nodes placed as servers: DC = zone, region = region, podset and ToR from the configured
    /// labels. With `agentPods`, only nodes running an agent pod take part, at the pod's addresses
    /// (the agent answers there); otherwise every node at its InternalIP addresses.
    public func topology(nodes: [Kubernetes.Node], agentPods: [Kubernetes.Pod]?) -> TopologyFile {
        var addressesByNode: [String: [String]] = [:]
        if let agentPods {
            for pod in agentPods where pod.status?.phase == nil || pod.status?.phase == "Running" {
                guard let node = pod.spec?.nodeName else { continue }
                let ips = pod.status?.podIPs?.map(\.ip) ?? pod.status?.podIP.map { [$0] } ?? []
                if !ips.isEmpty { addressesByNode[node] = ips }
            }
        } else {
            for node in nodes {
                addressesByNode[node.metadata.name] = (node.status?.addresses ?? []).filter { $0.type == "InternalIP" }.map(\.address)
            }
        }
        struct Placed {
            var region: String?
            var zone: String
            var podset: String
            var tor: String
            var server: TopologyFile.ServerFile
        }
        var placed: [Placed] = []
        for node in nodes.sorted(by: { $0.metadata.name < $1.metadata.name }) {
            let addresses = addressesByNode[node.metadata.name] ?? []
            let v4 = addresses.first { IPAddressFamily.of(literal: $0) == .ipv4 }
            let v6 = addresses.first { IPAddressFamily.of(literal: $0) == .ipv6 }
            guard v4 != nil || v6 != nil else { continue }
            let labels = node.metadata.labels ?? [:]
            let zone = labels[Self.zoneLabel] ?? "default"
            placed.append(
                Placed(
                    region: labels[Self.regionLabel], zone: zone, podset: labels[podsetLabel] ?? zone,
                    tor: labels[torLabel] ?? node.metadata.name,
                    server: .init(name: node.metadata.name, ipv4: v4, ipv6: v6)))
        }
        let zones = Dictionary(grouping: placed, by: \.zone)
        return TopologyFile(
            datacenters: zones.keys.sorted().map { zone in
                let members = zones[zone]!
                let podsets = Dictionary(grouping: members, by: \.podset)
                return .init(
                    name: zone, region: members.compactMap(\.region).first,
                    podsets: podsets.keys.sorted().map { podset in
                        let tors = Dictionary(grouping: podsets[podset]!, by: \.tor)
                        return .init(
                            name: podset,
                            pods: tors.keys.sorted().map { tor in .init(name: tor, tor: tor, servers: tors[tor]!.map(\.server)) })
                    })
            })
    }
}

extension TopologyFile {
    /// This topology with the data centers of `other` added (a DC of the same name gains the
    /// other's podsets); servers already named here are left as they are.
    public func adding(_ other: TopologyFile) -> TopologyFile {
        let known = Set(datacenters.flatMap { $0.podsets.flatMap { $0.pods.flatMap { $0.servers.map(\.name) } } })
        var merged = self
        for datacenter in other.datacenters {
            var filtered = datacenter
            filtered.podsets = datacenter.podsets.compactMap { podset in
                var podset = podset
                podset.pods = podset.pods.compactMap { pod in
                    var pod = pod
                    pod.servers.removeAll { known.contains($0.name) }
                    return pod.servers.isEmpty ? nil : pod
                }
                return podset.pods.isEmpty ? nil : podset
            }
            guard !filtered.podsets.isEmpty else { continue }
            if let index = merged.datacenters.firstIndex(where: { $0.name == datacenter.name }) {
                merged.datacenters[index].podsets += filtered.podsets
            } else {
                merged.datacenters.append(filtered)
            }
        }
        return merged
    }
}
