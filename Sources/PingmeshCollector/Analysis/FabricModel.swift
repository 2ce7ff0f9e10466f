import PingmeshModel

/// The fabric as analysis sees it: servers under ToRs, ToRs in podsets, podsets in data centers,
/// built from the placement labels agents upload (dc, podset, tor or pod) and the fabric's shape
/// from the topology. Every probe between two servers crosses a fixed sequence of components, after
/// the Clos layout Pingmesh assumes: its ToR only inside a ToR; in three tiers, up through the
/// podset's leaves across ToRs and through the data center's spines across podsets; in two tiers,
/// straight through the spines across ToRs; over the data-center link between data centers.
/// Leaves and spines are equal-cost sets chosen per flow by hashing, so pair data names a tier
/// (the leaves of one podset, the spines of one data center), not a device in it. A two-tier
/// fabric's leaf tiers keep their ids but lie on no path, so analysis never names them.
public struct FabricModel: Sendable {
    public struct Server: Sendable, Hashable {
        public var name: String
        public var tor: Int32
        public var podset: Int32
        public var datacenter: Int32
    }

    public private(set) var servers: [Server] = []
    public private(set) var serverIndex: [String: Int32] = [:]
    public private(set) var tors: [String] = []
    public private(set) var torPodset: [Int32] = []
    public private(set) var torServers: [[Int32]] = []
    public private(set) var podsets: [String] = []
    public private(set) var podsetDatacenter: [Int32] = []
    public private(set) var datacenters: [String] = []
    public let shape: FabricDescription.Shape

    /// Builds the model from `name -> labels`. Servers are indexed in name order and groups in
    /// order of first appearance among them, so the same placements give the same model on
    /// every collector replica. A server without a label falls into an "unknown" group of that
    /// level, which keeps it in the mesh without inventing a place for it.
    public init(placements: [String: [String: String]], shape: FabricDescription.Shape = .threeTier) {
        self.shape = shape
        var torIndex: [String: Int32] = [:]
        var podsetIndex: [String: Int32] = [:]
        var datacenterIndex: [String: Int32] = [:]
        for name in placements.keys.sorted() {
            let labels = placements[name] ?? [:]
            let datacenterName = labels["dc"] ?? "unknown"
            let datacenter = Self.intern(datacenterName, in: &datacenterIndex) {
                datacenters.append(datacenterName)
                return datacenters.count - 1
            }
            // Podset and ToR names are qualified by their parents: two data centers may both
            // have a "podset-1".
            let podsetLabel = labels["podset"] ?? "unknown"
            let podsetKey = datacenterName + "/" + podsetLabel
            let podset = Self.intern(podsetKey, in: &podsetIndex) {
                podsets.append(podsetLabel)
                podsetDatacenter.append(datacenter)
                return podsets.count - 1
            }
            let torLabel = labels["tor"] ?? labels["pod"] ?? "unknown"
            let tor = Self.intern(podsetKey + "/" + torLabel, in: &torIndex) {
                tors.append(torLabel)
                torPodset.append(podset)
                torServers.append([])
                return tors.count - 1
            }
            let index = Int32(servers.count)
            servers.append(Server(name: name, tor: tor, podset: podset, datacenter: datacenter))
            serverIndex[name] = index
            torServers[Int(tor)].append(index)
        }
    }

    /// The index `key` has in `index`; a new key gets the index `add` returns once it has
    /// appended the group.
    private static func intern(_ key: String, in index: inout [String: Int32], adding add: () -> Int) -> Int32 {
        if let known = index[key] { return known }
        let new = Int32(add())
        index[key] = new
        return new
    }

    // MARK: Components as dense ids

    /// ToRs first, then leaf tiers (one per podset), spine tiers (one per data center), then
    /// data-center links (one per unordered pair).
    public var componentCount: Int { tors.count + podsets.count + datacenters.count + datacenters.count * datacenters.count }

    func leafTier(_ podset: Int32) -> Int32 { Int32(tors.count) + podset }
    func spineTier(_ datacenter: Int32) -> Int32 { Int32(tors.count + podsets.count) + datacenter }
    func link(_ a: Int32, _ b: Int32) -> Int32 {
        Int32(tors.count + podsets.count + datacenters.count) + min(a, b) * Int32(datacenters.count) + max(a, b)
    }

    /// The components a probe from `source` to `destination` crosses (not the servers
    /// themselves), written into `path`; returns how many (at most 7).
    func path(from source: Int32, to destination: Int32, into path: inout (Int32, Int32, Int32, Int32, Int32, Int32, Int32)) -> Int {
        let s = servers[Int(source)]
        let d = servers[Int(destination)]
        if s.tor == d.tor {
            path.0 = s.tor
            return 1
        }
        if shape == .twoTier {
            if s.datacenter == d.datacenter {
                path = (s.tor, spineTier(s.datacenter), d.tor, 0, 0, 0, 0)
                return 3
            }
            path = (s.tor, spineTier(s.datacenter), link(s.datacenter, d.datacenter), spineTier(d.datacenter), d.tor, 0, 0)
            return 5
        }
        if s.podset == d.podset {
            path = (s.tor, leafTier(s.podset), d.tor, 0, 0, 0, 0)
            return 3
        }
        if s.datacenter == d.datacenter {
            path = (s.tor, leafTier(s.podset), spineTier(s.datacenter), leafTier(d.podset), d.tor, 0, 0)
            return 5
        }
        path = (s.tor, leafTier(s.podset), spineTier(s.datacenter), link(s.datacenter, d.datacenter), spineTier(d.datacenter), leafTier(d.podset), d.tor)
        return 7
    }

    /// How narrow a component is, for candidates that explain the same bad pairs equally: a ToR
    /// (0), a podset's leaves (1), a link between two data centers (2), a data center's spines (3).
    /// A ToR whose uplinks fail makes its leaf tier look as bad as itself on the pairs they share;
    /// the narrower component is the better answer, since the wider one's other pairs are clean.
    func narrowness(_ id: Int32) -> Int {
        let id = Int(id)
        if id < tors.count { return 0 }
        if id < tors.count + podsets.count { return 1 }
        return id < tors.count + podsets.count + datacenters.count ? 3 : 2
    }

    /// What component id `id` stands for.
    public func component(_ id: Int32) -> FabricComponent {
        let id = Int(id)
        if id < tors.count { return .tor(name: tors[id], podset: podsets[Int(torPodset[id])]) }
        var rest = id - tors.count
        if rest < podsets.count { return .leafTier(podset: podsets[rest], datacenter: datacenters[Int(podsetDatacenter[rest])]) }
        rest -= podsets.count
        if rest < datacenters.count { return .spineTier(datacenter: datacenters[rest]) }
        rest -= datacenters.count
        return .datacenterLink(datacenters[rest / datacenters.count], datacenters[rest % datacenters.count])
    }
}

/// A part of the network (or a host) that analysis can name.
public enum FabricComponent: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A server: its host, NIC or ToR port (pair data cannot tell these apart).
    case server(name: String)
    case tor(name: String, podset: String)
    /// The leaf switches of one podset, as a tier.
    case leafTier(podset: String, datacenter: String)
    /// The spine switches of one data center, as a tier.
    case spineTier(datacenter: String)
    /// The links (and border devices) between two data centers.
    case datacenterLink(String, String)

    public var description: String {
        switch self {
        case .server(let name): "server \(name)"
        case .tor(let name, let podset): "ToR \(name) (podset \(podset))"
        case .leafTier(let podset, let datacenter): "leaf tier of podset \(podset) (\(datacenter))"
        case .spineTier(let datacenter): "spine tier of \(datacenter)"
        case .datacenterLink(let a, let b): "data-center link \(a) - \(b)"
        }
    }

    /// True when the component is a set of equal-cost devices of which pair data cannot single
    /// out one.
    /// The switch tier the component is or belongs to, where it is a switch or a tier of them.
    public var tier: FabricDescription.Tier? {
        switch self {
        case .tor: .tor
        case .leafTier: .leaf
        case .spineTier: .spine
        case .server, .datacenterLink: nil
        }
    }

    public var isTier: Bool {
        switch self {
        case .leafTier, .spineTier: true
        default: false
        }
    }
}
