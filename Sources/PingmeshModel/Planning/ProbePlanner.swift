/// Computes every agent's peers from a topology after Pingmesh section 3.3.1, then thins to the
/// caps. Pure and deterministic: the same topology gives the same plan in every process, so
/// controller replicas behind one VIP agree byte for byte.
public enum ProbePlanner {
    public static func plan(_ topology: Topology) -> ProbePlan {
        var peers = [[UInt32]](repeating: [], count: topology.servers.count)
        var implied: [MeshLevel: Int] = [:]
        let selected = interDCSelection(topology)

        for datacenter in topology.datacenters.indices {
            let dcPods = podsOf(datacenter: datacenter, in: topology).filter { !topology.pods[$0].servers.isEmpty }
            let torMesh = topology.datacenters[datacenter].torMesh
            let others = selected.enumerated().filter { $0.offset != datacenter }.flatMap(\.element)
            let selectedHere = Set(selected[datacenter])
            for pod in dcPods {
                let servers = topology.pods[pod].servers
                for (position, agent) in servers.enumerated() {
                    var list: [UInt32] = []
                    list.reserveCapacity(servers.count - 1 + dcPods.count - 1)
                    // Intra-pod: every other server under the same ToR.
                    for peer in servers where peer != agent { list.append(UInt32(peer)) }
                    // Intra-DC: server i of ToR x probes server (i mod |y|) of every other ToR y.
                    if torMesh {
                        for other in dcPods where other != pod {
                            let range = topology.pods[other].servers
                            list.append(UInt32(range.lowerBound + position % range.count))
                        }
                        implied[.intraDC, default: 0] += dcPods.count - 1
                    }
                    implied[.intraPod, default: 0] += servers.count - 1
                    // Inter-DC: selected servers probe the selected servers of every other DC.
                    if selectedHere.contains(agent) {
                        for peer in others { list.append(UInt32(peer)) }
                        implied[.interDC, default: 0] += others.count
                    }
                    peers[agent] = list
                }
            }
        }

        let extraGroups = extraAssignments(topology)
        for groups in extraGroups {
            for group in groups { implied[.extra, default: 0] += topology.extraTargets[Int(group)].targets.count }
        }
        var plan = ProbePlan(topology: topology, peers: peers, extraGroups: extraGroups, implied: implied, dropped: [:])
        PlanThinning.apply(to: &plan)
        return plan
    }

    /// The pods of one data center, in order.
    static func podsOf(datacenter: Int, in topology: Topology) -> [Int] {
        topology.datacenters[datacenter].podsets.flatMap { Array(topology.podsets[$0].pods) }
    }

    /// Per DC, the servers taking part in inter-DC probing: the first N of each podset, in order
    /// (an array, not a set: iteration order must be the same in every process).
    static func interDCSelection(_ topology: Topology) -> [[Int]] {
        guard topology.datacenters.count > 1, topology.interDCServersPerPodset > 0 else {
            return Array(repeating: [], count: topology.datacenters.count)
        }
        return topology.datacenters.map { datacenter in
            datacenter.podsets.flatMap { podset in
                topology.podsets[podset].pods.flatMap { Array(topology.pods[$0].servers) }.prefix(topology.interDCServersPerPodset)
            }
        }
    }

    /// For each agent, the extra target groups whose selector matches it and whose weight picks it.
    static func extraAssignments(_ topology: Topology) -> [[UInt16]] {
        var assignments = [[UInt16]](repeating: [], count: topology.servers.count)
        guard !topology.extraTargets.isEmpty else { return assignments }
        for agent in topology.servers.indices {
            var labels = topology.topologyLabels(of: agent)
            labels["name"] = topology.servers[agent].name
            for (index, group) in topology.extraTargets.enumerated() {
                guard group.selector.allSatisfy({ labels[$0.key] == $0.value }) else { continue }
                if group.weight < 1 {
                    guard StableHash.uniform("\(group.name)\u{0}\(topology.servers[agent].name)") < group.weight else { continue }
                }
                assignments[agent].append(UInt16(index))
            }
        }
        return assignments
    }
}
