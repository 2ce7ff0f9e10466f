/// Thins a plan to its caps, deterministically, and records what it dropped per level: the
/// controller never silently gives an agent less than the topology implies.
///
/// Per agent, the budget is `min(max_peers_per_agent, max_probes_per_second_per_agent x interval)`
/// probes a round; over it, whole levels give way in `MeshLevel.dropOrder` (extras first, the
/// agent's own ToR last), and within a level the peers with the highest stable hash of
/// (agent, peer) go first. Per server, at most `max_inbound_probes_per_second x interval` probes
/// a round arrive; over it, incoming pairs are dropped in the same order.
enum PlanThinning {
    static func apply(to plan: inout ProbePlan) {
        let topology = plan.topology
        let caps = topology.caps
        let roundSeconds = topology.effectiveSettings.interval.seconds
        let cost = topology.servers.indices.map { topology.addresses(of: $0).count }

        var budget = caps.maxPeersPerAgent ?? Int.max
        if let rate = caps.maxProbesPerSecondPerAgent { budget = min(budget, Int((rate * roundSeconds).rounded(.down))) }
        if budget < Int.max {
            for agent in topology.servers.indices {
                thinAgent(agent, budget: budget, cost: cost, plan: &plan)
            }
        }
        if let inbound = caps.maxInboundProbesPerSecond {
            thinInbound(limit: Int((inbound * roundSeconds).rounded(.down)), cost: cost, plan: &plan)
        }
    }

    private static func pairRank(_ topology: Topology, _ agent: Int, _ peer: Int) -> UInt64 {
        StableHash.mixed("\(topology.servers[agent].name)\u{0}\(topology.servers[peer].name)")
    }

    private static func thinAgent(_ agent: Int, budget: Int, cost: [Int], plan: inout ProbePlan) {
        let topology = plan.topology
        let extraCost = plan.extraGroups[agent].reduce(0) { $0 + topology.extraTargets[Int($1)].targets.count }
        var total = plan.peers[agent].reduce(0) { $0 + cost[Int($1)] } + extraCost
        guard total > budget else { return }

        for level in MeshLevel.dropOrder where total > budget {
            if level == .extra {
                // Later groups give way first; a group is kept or dropped whole.
                while total > budget, let last = plan.extraGroups[agent].popLast() {
                    let count = topology.extraTargets[Int(last)].targets.count
                    total -= count
                    plan.dropped[.extra, default: 0] += count
                }
                continue
            }
            let atLevel = plan.peers[agent].filter { plan.level(agent: agent, peer: Int($0)) == level }
            guard !atLevel.isEmpty else { continue }
            let byRank = atLevel.sorted { pairRank(topology, agent, Int($0)) > pairRank(topology, agent, Int($1)) }
            var drop = Set<UInt32>()
            for peer in byRank where total > budget {
                drop.insert(peer)
                total -= cost[Int(peer)]
                plan.dropped[level, default: 0] += 1
            }
            plan.peers[agent].removeAll { drop.contains($0) }
        }
    }

    private static func thinInbound(limit: Int, cost: [Int], plan: inout ProbePlan) {
        let topology = plan.topology
        var inbound = [Int](repeating: 0, count: topology.servers.count)
        for list in plan.peers {
            for peer in list { inbound[Int(peer)] += cost[Int(peer)] }
        }
        let over = Set(inbound.indices.filter { inbound[$0] > limit })
        guard !over.isEmpty else { return }

        var incoming: [Int: [Int]] = [:]
        for (agent, list) in plan.peers.enumerated() {
            for peer in list where over.contains(Int(peer)) { incoming[Int(peer), default: []].append(agent) }
        }
        var dropFor: [Int: Set<UInt32>] = [:]
        for target in incoming.keys.sorted() {
            let agents = incoming[target]!
            let keep = cost[target] == 0 ? agents.count : limit / cost[target]
            let ordered = agents.sorted { a, b in
                let (levelA, levelB) = (keepRank(plan.level(agent: a, peer: target)), keepRank(plan.level(agent: b, peer: target)))
                if levelA != levelB { return levelA < levelB }
                return pairRank(topology, a, target) < pairRank(topology, b, target)
            }
            for agent in ordered.dropFirst(keep) {
                dropFor[agent, default: []].insert(UInt32(target))
                plan.dropped[plan.level(agent: agent, peer: target), default: 0] += 1
            }
        }
        for (agent, targets) in dropFor {
            plan.peers[agent].removeAll { targets.contains($0) }
        }
    }

    /// Lower keeps longer: the reverse of the drop order.
    private static func keepRank(_ level: MeshLevel) -> Int {
        MeshLevel.dropOrder.count - 1 - (MeshLevel.dropOrder.firstIndex(of: level) ?? 0)
    }
}
