import PingmeshModel

/// Probe outcomes for a simulated Clos data center with one injected fault, for the analysis
/// tests and benchmark. Pairs are the ones the controller's planner gives the topology; each
/// pair sends `probesPerWindow` probes over `sourcePorts` source ports, and each probe's path
/// picks a leaf and a spine by hashing its 5-tuple, as ECMP does, so a faulty leaf or spine hits
/// only the flows hashed onto it. Deterministic for a seed.
public struct FaultSimulator: Sendable {
    public enum Fault: Sendable, Hashable, CustomStringConvertible {
        case none
        case serverDown(server: Int)
        case torDown(tor: Int)
        /// The ToR drops every packet of a share of the IP pairs through it.
        case torBlackHole(tor: Int, share: Double)
        /// The ToR drops the packets of one source-port bucket for half the IP pairs through it.
        case portBlackHole(tor: Int, port: Int)
        /// One leaf of a podset drops a share of the packets it forwards, at random.
        case leafDrops(podset: Int, leaf: Int, rate: Double)
        /// One spine of a data center drops a share of the packets it forwards, at random.
        case spineDrops(datacenter: Int, spine: Int, rate: Double)
        /// Latency added on the link between two data centers.
        case linkLatency(a: Int, b: Int, addedMicroseconds: UInt32)

        public var description: String {
            switch self {
            case .none: "healthy"
            case .serverDown: "server down"
            case .torDown: "ToR down"
            case .torBlackHole: "ToR black hole"
            case .portBlackHole: "port black hole"
            case .leafDrops: "leaf drops"
            case .spineDrops: "spine drops"
            case .linkLatency: "DC link latency"
            }
        }
    }

    public let topology: Topology
    public let plan: ProbePlan
    public let fabric: FabricModel
    public var leavesPerPodset = 4
    public var spinesPerDatacenter = 4
    public var probesPerWindow = 6
    public var sourcePorts = 3
    public var backgroundLoss = 1e-5
    /// Fabric index of each topology server.
    private let fabricIndex: [Int32]

    /// A topology of `datacenters` x `podsetsPerDatacenter` x `torsPerPodset` x `serversPerTor`.
    public init(datacenters: Int = 2, podsetsPerDatacenter: Int = 5, torsPerPodset: Int = 5, serversPerTor: Int = 20) throws {
        let file = TopologyFile.uniform(
            datacenters: datacenters, podsetsPerDatacenter: podsetsPerDatacenter, podsPerPodset: torsPerPodset, serversPerPod: serversPerTor)
        topology = try file.validated(file: "simulated")
        plan = ProbePlanner.plan(topology)
        let topology = self.topology
        fabric = FabricModel(placements: Dictionary(uniqueKeysWithValues: topology.servers.indices.map { (topology.servers[$0].name, topology.topologyLabels(of: $0)) }))
        let fabric = self.fabric
        fabricIndex = topology.servers.map { fabric.serverIndex[$0.name] ?? -1 }
    }

    /// What analysis should name for `fault`.
    public func expected(_ fault: Fault) -> (component: FabricComponent, kinds: Set<Finding.Kind>)? {
        func tor(_ pod: Int) -> FabricComponent {
            .tor(name: topology.pods[pod].tor, podset: topology.podsets[topology.pods[pod].podset].name)
        }
        switch fault {
        case .none: return nil
        case .serverDown(let server): return (.server(name: topology.servers[server].name), [.serverDown])
        case .torDown(let pod): return (tor(pod), [.torDown])
        case .torBlackHole(let pod, _): return (tor(pod), [.blackHole])
        case .portBlackHole(let pod, _): return (tor(pod), [.portBlackHole])
        case .leafDrops(let podset, _, _):
            return (.leafTier(podset: topology.podsets[podset].name, datacenter: topology.datacenters[topology.podsets[podset].datacenter].name), [.packetLoss])
        case .spineDrops(let datacenter, _, _): return (.spineTier(datacenter: topology.datacenters[datacenter].name), [.packetLoss])
        case .linkLatency(let a, let b, _):
            let (x, y) = (topology.datacenters[a].name, topology.datacenters[b].name)
            return (.datacenterLink(min(x, y), max(x, y)), [.latency])
        }
    }

    /// A random single fault of each kind in turn (`index` picks the kind), placed by `seed`.
    public func randomFault(index: Int, seed: UInt64) -> Fault {
        var random = SplitMix64(seed: seed)
        func pick(_ count: Int) -> Int { Int(random.next() % UInt64(count)) }
        switch index % 7 {
        case 0: return .serverDown(server: pick(topology.servers.count))
        case 1: return .torDown(tor: pick(topology.pods.count))
        // Black holes on 5% to 30% of a ToR's IP pairs: a partial black hole is the hard case.
        case 2: return .torBlackHole(tor: pick(topology.pods.count), share: 0.05 + 0.25 * random.unit())
        case 3: return .portBlackHole(tor: pick(topology.pods.count), port: pick(sourcePorts))
        case 4: return .leafDrops(podset: pick(topology.podsets.count), leaf: pick(leavesPerPodset), rate: 0.02)
        case 5: return .spineDrops(datacenter: pick(topology.datacenters.count), spine: pick(spinesPerDatacenter), rate: 0.01)
        default:
            let a = pick(topology.datacenters.count)
            return .linkLatency(a: a, b: (a + 1 + pick(topology.datacenters.count - 1)) % topology.datacenters.count, addedMicroseconds: 8_000)
        }
    }

    /// One window of evidence with `fault` in place.
    public func window(_ fault: Fault, seed: UInt64) -> WindowEvidence {
        var random = SplitMix64(seed: seed)
        var reporting = [Bool](repeating: true, count: fabric.servers.count)
        func silent(_ server: Int) -> Bool {
            switch fault {
            case .serverDown(let down): server == down
            case .torDown(let pod): topology.servers[server].pod == pod
            default: false
            }
        }
        for server in topology.servers.indices where silent(server) { reporting[Int(fabricIndex[server])] = false }

        var pairs: [PairObservation] = []
        pairs.reserveCapacity(plan.peers.reduce(0) { $0 + $1.count })
        var lostPerPort = [UInt32](repeating: 0, count: sourcePorts)
        var sentPerPort = [UInt32](repeating: 0, count: sourcePorts)
        for (source, peers) in plan.peers.enumerated() where !silent(source) {
            for peer in peers {
                let destination = Int(peer)
                for port in 0..<sourcePorts { (lostPerPort[port], sentPerPort[port]) = (0, 0) }
                var lost: UInt32 = 0
                for probe in 0..<probesPerWindow {
                    let port = probe % sourcePorts
                    sentPerPort[port] += 1
                    if dropped(fault, source: source, destination: destination, port: port, random: &random) {
                        lost += 1
                        lostPerPort[port] += 1
                    }
                }
                var blackholed: UInt16 = 0
                for port in 0..<sourcePorts where sentPerPort[port] >= 2 && lostPerPort[port] == sentPerPort[port] { blackholed += 1 }
                let answered = lost < UInt32(probesPerWindow)
                pairs.append(
                    PairObservation(
                        source: fabricIndex[source], destination: fabricIndex[destination], sent: UInt32(probesPerWindow), lost: lost,
                        p99Microseconds: answered ? p99(fault, source: source, destination: destination, random: &random) : 0,
                        blackholedPorts: blackholed))
            }
        }
        return WindowEvidence(fabric: fabric, reporting: reporting, pairs: pairs)
    }

    // MARK: The fabric's behaviour

    private func place(_ server: Int) -> (pod: Int, podset: Int, datacenter: Int) {
        let pod = topology.servers[server].pod
        let podset = topology.pods[pod].podset
        return (pod, podset, topology.podsets[podset].datacenter)
    }

    private func dropped(_ fault: Fault, source: Int, destination: Int, port: Int, random: inout SplitMix64) -> Bool {
        if random.unit() < backgroundLoss { return true }
        let s = place(source)
        let d = place(destination)
        // The 5-tuple's hash, as a switch would compute it, picks the equal-cost next hops.
        let flow = SplitMix64.mix(UInt64(source) << 40 ^ UInt64(destination) << 16 ^ UInt64(port))
        switch fault {
        case .none: return false
        case .serverDown(let down): return destination == down
        case .torDown(let pod): return d.pod == pod
        case .torBlackHole(let pod, let share):
            return (s.pod == pod || d.pod == pod) && Double(SplitMix64.mix(UInt64(source) << 32 ^ UInt64(destination)) % 1000) < share * 1000
        case .portBlackHole(let pod, let blocked):
            return (s.pod == pod || d.pod == pod) && port == blocked && SplitMix64.mix(UInt64(source) << 32 ^ UInt64(destination) ^ 0x5eed) % 2 == 0
        case .leafDrops(let podset, let leaf, let rate):
            guard s.pod != d.pod else { return false }
            let up = s.podset == podset && Int(flow % UInt64(leavesPerPodset)) == leaf
            let down = d.podset == podset && Int((flow >> 8) % UInt64(leavesPerPodset)) == leaf
            return (up || down) && random.unit() < rate
        case .spineDrops(let datacenter, let spine, let rate):
            guard s.podset != d.podset, s.datacenter == datacenter || d.datacenter == datacenter else { return false }
            return Int((flow >> 16) % UInt64(spinesPerDatacenter)) == spine && random.unit() < rate
        case .linkLatency: return false
        }
    }

    private func p99(_ fault: Fault, source: Int, destination: Int, random: inout SplitMix64) -> UInt32 {
        let s = place(source)
        let d = place(destination)
        let base: Double =
            s.pod == d.pod ? 150 : s.podset == d.podset ? 300 : s.datacenter == d.datacenter ? 500 : 2_000
        var p99 = base * (1.2 + 0.6 * random.unit())
        if case .linkLatency(let a, let b, let added) = fault, Set([s.datacenter, d.datacenter]) == Set([a, b]), s.datacenter != d.datacenter {
            p99 += Double(added)
        }
        return UInt32(p99)
    }
}
