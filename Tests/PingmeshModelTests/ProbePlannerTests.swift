import Foundation
import Testing

@testable import PingmeshModel

/// Property tests over generated topologies of varied shapes and unequal ToR sizes.
@Suite("Probe planner")
struct ProbePlannerTests {
    static let seeds: [UInt64] = [1, 2, 3, 4, 5, 6, 7, 8]

    @Test("every intra-ToR pair, every ToR pair of a DC and every DC pair is covered", arguments: seeds)
    func coverage(seed: UInt64) throws {
        let topology = try TopologyFixtures.topology(datacenters: 3, podsetsPerDC: 2, podsPerPodset: 4, serversPerPod: 9, seed: seed)
        let plan = ProbePlanner.plan(topology)
        let statistics = PlanStatistics(plan)
        #expect(statistics.intraPodPairs.covered == statistics.intraPodPairs.total)
        #expect(statistics.torPairs.covered == statistics.torPairs.total)
        #expect(statistics.torPairs.total == 3 * 8 * 7)
        #expect(statistics.datacenterPairs.covered == 6)
        #expect(plan.dropped.isEmpty)
        #expect(statistics.planned == statistics.implied)

        // Every intra-ToR ordered pair, checked pair by pair.
        for pod in topology.pods {
            for agent in pod.servers {
                let peers = Set(plan.peers[agent].map(Int.init))
                for other in pod.servers where other != agent { #expect(peers.contains(other)) }
                #expect(!peers.contains(agent), "no agent probes itself")
            }
        }
    }

    @Test("server i of ToR x probes server (i mod |y|) of every other ToR y of its DC")
    func torRule() throws {
        let topology = try TopologyFixtures.topology(datacenters: 1, podsetsPerDC: 1, podsPerPodset: 3, serversPerPod: 5, seed: 11)
        let plan = ProbePlanner.plan(topology)
        for x in topology.pods {
            for (i, agent) in x.servers.enumerated() {
                for y in topology.pods where y != x {
                    let expected = y.servers.lowerBound + i % y.servers.count
                    #expect(plan.peers[agent].contains(UInt32(expected)))
                }
            }
        }
        #expect(topology.servers.indices.allSatisfy { !plan.peers[$0].isEmpty }, "every server takes part")
    }

    @Test("inter-DC: the first N servers of each podset probe the selected servers of every other DC")
    func interDC() throws {
        let topology = try TopologyFixtures.topology(datacenters: 2, podsetsPerDC: 2, podsPerPodset: 2, serversPerPod: 3, interDC: 2)
        let plan = ProbePlanner.plan(topology)
        let selection = ProbePlanner.interDCSelection(topology)
        #expect(selection.map(\.count) == [4, 4])
        for agent in selection[0] {
            let crossDC = plan.peers[agent].filter { plan.level(agent: agent, peer: Int($0)) == .interDC }.map(Int.init)
            #expect(crossDC == selection[1])
        }
        let unselected = topology.servers.indices.first { !selection[0].contains($0) && topology.datacenterIndex(of: $0) == 0 }!
        #expect(plan.peers[unselected].allSatisfy { plan.level(agent: unselected, peer: Int($0)) != .interDC })
    }

    @Test("caps are respected and thinning is deterministic and reported", arguments: seeds.prefix(4))
    func caps(seed: UInt64) throws {
        let caps = TopologyFile.CapsFile(maxPeersPerAgent: 12, maxInboundProbesPerSecond: 1.2)
        let topology = try TopologyFixtures.topology(
            datacenters: 2, podsetsPerDC: 2, podsPerPodset: 5, serversPerPod: 8, seed: seed, interDC: 2, caps: caps)
        let plan = ProbePlanner.plan(topology)
        let again = ProbePlanner.plan(try TopologyFixtures.topology(
            datacenters: 2, podsetsPerDC: 2, podsPerPodset: 5, serversPerPod: 8, seed: seed, interDC: 2, caps: caps))
        #expect(plan.peers == again.peers, "thinning is deterministic")
        #expect(plan.peers.allSatisfy { $0.count <= 12 })
        var inbound = [Int](repeating: 0, count: topology.servers.count)
        for list in plan.peers { for peer in list { inbound[Int(peer)] += 1 } }
        #expect(inbound.max()! <= 12, "1.2 probes/s x 10 s = 12 a round")
        let dropped = plan.dropped.values.reduce(0, +)
        #expect(dropped > 0, "these caps bind")
        for level in MeshLevel.allCases {
            #expect((plan.planned[level] ?? 0) + (plan.dropped[level] ?? 0) == (plan.implied[level] ?? 0), "\(level): kept + dropped = implied")
        }
        #expect((plan.dropped[.intraDC] ?? 0) > 0, "the intra-DC level gives way before the agent's own ToR")
    }

    @Test("a probes-per-second cap is a per-round budget, dual-stack peers costing two probes")
    func rateCap() throws {
        let caps = TopologyFile.CapsFile(maxProbesPerSecondPerAgent: 1.5)
        let topology = try TopologyFixtures.topology(
            datacenters: 1, podsetsPerDC: 1, podsPerPodset: 4, serversPerPod: 6, caps: caps, dualStack: true)
        let plan = ProbePlanner.plan(topology)
        for agent in topology.servers.indices {
            let probes = plan.peers[agent].reduce(0) { $0 + topology.addresses(of: Int($1)).count }
            #expect(probes <= 15)
        }
    }

    @Test("two planners on the same file give byte-identical pinglists")
    func byteIdentical() throws {
        let file = TopologyFixtures.file(datacenters: 2, podsetsPerDC: 2, podsPerPodset: 3, serversPerPod: 7, seed: 99, interDC: 1)
        let data = try JSONEncoder().encode(file)
        let first = ProbePlanner.plan(try ConfigDocument.decode(TopologyFile.self, from: data, file: "a").validated(file: "a"))
        let second = ProbePlanner.plan(try ConfigDocument.decode(TopologyFile.self, from: data, file: "b").validated(file: "b"))
        for agent in first.topology.servers.indices {
            #expect(ProbePlan.encode(first.pinglistFile(for: agent)) == ProbePlan.encode(second.pinglistFile(for: agent)))
        }
    }

    @Test("an agent's pinglist is a valid pinglist with topology labels on every target")
    func materialised() throws {
        let topology = try TopologyFixtures.topology(datacenters: 2, podsetsPerDC: 1, podsPerPodset: 2, serversPerPod: 3)
        let plan = ProbePlanner.plan(topology)
        let file = plan.pinglistFile(for: 0)
        #expect(file.agent == "s1")
        #expect(file.groups.map(\.name) == ["intra_pod", "intra_dc", "inter_dc"])
        let data = ProbePlan.encode(file)
        let (pinglist, _) = try PinglistDecoder.decode(data, file: "served")
        #expect(pinglist.version == file.version)
        #expect(pinglist.targets.count == plan.peers[0].count)
        #expect(pinglist.targets.allSatisfy { ["dc", "podset", "pod", "tor", "region", "level"].allSatisfy($0.labels.keys.contains) })
        #expect(pinglist.targets.first { $0.name == "s2" }?.labels["tor"] == "tor-0-0-0")
    }

    @Test("extra targets go to the agents their selector picks, a weight's share of them")
    func extraTargets() throws {
        var file = TopologyFixtures.file(datacenters: 2, podsetsPerDC: 2, podsPerPodset: 5, serversPerPod: 10)
        var resolver = TargetFile(address: "10.200.0.53", port: 53, kind: .dns)
        resolver.dns = DNSOptionsFile(queryName: "www.example.com")
        file.extraTargets = [
            .init(name: "dns", selector: ["dc": "dc0"], targets: [resolver]),
            .init(name: "web", weight: 0.25, targets: [TargetFile(address: "10.200.0.80", port: 80, kind: .http)]),
        ]
        let topology = try file.validated(file: "t")
        let plan = ProbePlanner.plan(topology)
        let withDNS = topology.servers.indices.filter { plan.extraGroups[$0].contains(0) }
        #expect(withDNS.allSatisfy { topology.datacenterIndex(of: $0) == 0 })
        #expect(withDNS.count == topology.servers.indices.filter { topology.datacenterIndex(of: $0) == 0 }.count)
        let share = Double(topology.servers.indices.filter { plan.extraGroups[$0].contains(1) }.count) / Double(topology.servers.count)
        #expect(share > 0.15 && share < 0.35, "\(share)")
        let list = plan.pinglistFile(for: withDNS[0])
        #expect(list.groups.contains { $0.name == "extra:dns" && $0.targets.first?.kind == .dns })
    }
}
