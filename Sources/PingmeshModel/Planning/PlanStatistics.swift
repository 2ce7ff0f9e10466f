/// How well a plan covers the topology, for `pingmesh pinglist --stats`, the controller's
/// metrics and the property tests.
public struct PlanStatistics: Sendable, Equatable {
    public struct Coverage: Sendable, Hashable {
        public var covered: Int
        public var total: Int
        public var ratio: Double { total == 0 ? 1 : Double(covered) / Double(total) }
    }

    /// Ordered server pairs under one ToR.
    public var intraPodPairs: Coverage
    /// Ordered ToR pairs within a data center with at least one probing pair.
    public var torPairs: Coverage
    /// Ordered data-center pairs with at least one probing pair.
    public var datacenterPairs: Coverage
    public struct PeerCounts: Sendable, Hashable {
        public var min: Int
        public var median: Int
        public var max: Int
    }

    public var peersPerAgent: PeerCounts
    public var implied: [MeshLevel: Int]
    public var planned: [MeshLevel: Int]
    public var dropped: [MeshLevel: Int]

    public init(_ plan: ProbePlan) {
        let topology = plan.topology
        var intraPod = 0
        var torCovered = Set<Int64>()
        var dcCovered = Set<Int>()
        let dcCount = topology.datacenters.count
        for (agent, list) in plan.peers.enumerated() {
            let agentPod = topology.servers[agent].pod
            let agentDC = topology.datacenterIndex(of: agent)
            for peer in list.map(Int.init) {
                let peerPod = topology.servers[peer].pod
                let peerDC = topology.datacenterIndex(of: peer)
                if peerPod == agentPod {
                    intraPod += 1
                } else if peerDC == agentDC {
                    torCovered.insert(Int64(agentPod) << 32 | Int64(peerPod))
                } else {
                    dcCovered.insert(agentDC * dcCount + peerDC)
                }
            }
        }
        let intraPodTotal = topology.pods.reduce(0) { $0 + $1.servers.count * max($1.servers.count - 1, 0) }
        let torTotal = topology.datacenters.indices.filter { topology.datacenters[$0].torMesh }.reduce(0) { total, datacenter in
            let pods = ProbePlanner.podsOf(datacenter: datacenter, in: topology).filter { !topology.pods[$0].servers.isEmpty }.count
            return total + pods * max(pods - 1, 0)
        }
        let populated = topology.datacenters.indices.filter { datacenter in
            ProbePlanner.podsOf(datacenter: datacenter, in: topology).contains { !topology.pods[$0].servers.isEmpty }
        }.count
        intraPodPairs = Coverage(covered: intraPod, total: intraPodTotal)
        torPairs = Coverage(covered: torCovered.count, total: torTotal)
        datacenterPairs = Coverage(
            covered: dcCovered.count, total: topology.interDCServersPerPodset > 0 ? populated * max(populated - 1, 0) : 0)
        let counts = plan.peers.map(\.count).sorted()
        peersPerAgent = PeerCounts(min: counts.first ?? 0, median: counts.isEmpty ? 0 : counts[counts.count / 2], max: counts.last ?? 0)
        implied = plan.implied
        planned = plan.planned
        dropped = plan.dropped
    }
}
