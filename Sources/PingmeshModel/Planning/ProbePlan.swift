/// Every agent's pinglist for a topology, held compactly: peers are server indices (4 bytes a
/// pair), so the plan for 100,000 servers fits in memory. A peer's level follows from where it
/// sits relative to the agent, so it is not stored.
public struct ProbePlan: Sendable {
    public let topology: Topology
    /// Each agent's peers, by server index: intra-pod, then intra-DC, then inter-DC.
    public internal(set) var peers: [[UInt32]]
    /// Each agent's extra target groups, by index into `topology.extraTargets`.
    public internal(set) var extraGroups: [[UInt16]]
    /// Pairs the topology implies, per level, before caps.
    public internal(set) var implied: [MeshLevel: Int]
    /// Pairs thinned away to respect the caps, per level.
    public internal(set) var dropped: [MeshLevel: Int]

    /// The level of `peer` in `agent`'s list.
    public func level(agent: Int, peer: Int) -> MeshLevel {
        let topology = self.topology
        let agentPod = topology.servers[agent].pod
        let peerPod = topology.servers[peer].pod
        if agentPod == peerPod { return .intraPod }
        return topology.podsets[topology.pods[agentPod].podset].datacenter == topology.podsets[topology.pods[peerPod].podset].datacenter
            ? .intraDC : .interDC
    }

    /// Pairs kept, per level.
    public var planned: [MeshLevel: Int] {
        var counts: [MeshLevel: Int] = [:]
        for (agent, list) in peers.enumerated() {
            for peer in list { counts[level(agent: agent, peer: Int(peer)), default: 0] += 1 }
        }
        for groups in extraGroups where !groups.isEmpty {
            counts[.extra, default: 0] += groups.reduce(0) { $0 + topology.extraTargets[Int($1)].targets.count }
        }
        return counts
    }
}
