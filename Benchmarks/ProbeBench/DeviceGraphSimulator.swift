import PingmeshCollector
import PingmeshModel

/// A data center as devices and links, for judging analysis without sharing its model: every
/// probe is routed hop by hop over the fabric's devices, each device choosing among its equal-
/// cost next hops by hashing the probe's 5-tuple with a seed of its own (and avoiding a link it
/// sees down), and faults act on devices, links and 5-tuples. A TCP probe is a SYN forward and a
/// SYN-ACK back over a path of its own; a lost one is resent after 1 s with the same 5-tuple, and
/// the probe fails at 2 s (the default timeout), as Linux and the agent do.
struct DeviceGraphSimulator {
    enum Fault: CustomStringConvertible {
        case none
        /// A leaf or spine dropping a share of what it forwards, at random.
        case drops(device: String, rate: Double)
        /// The link of a ToR and the device above it down.
        case linkDown(tor: String, upper: String)
        /// A leaf or spine dropping every packet from one TCP source port.
        case portBlackHole(device: String, port: Int)
        /// A ToR dropping every packet of a share of the server pairs through it.
        case torBlackHole(tor: String, share: Double)
        /// A server powered off.
        case serverDown(server: Int)

        var description: String {
            switch self {
            case .none: "healthy"
            case .drops(let device, _): device.hasPrefix("spine") ? "spine drops" : "leaf drops"
            case .linkDown: "link down"
            case .portBlackHole: "port black hole"
            case .torBlackHole: "ToR black hole"
            case .serverDown: "server down"
            }
        }
    }

    let shape: FabricDescription.Shape
    let podsets: Int
    let torsPerPodset: Int
    let serversPerTor: Int
    let leavesPerPodset: Int
    let spines: Int
    let probesPerWindow = 6
    let sourcePorts = [20001, 20002, 20003]

    init(shape: FabricDescription.Shape, podsets: Int = 4, torsPerPodset: Int = 4, serversPerTor: Int = 6, leavesPerPodset: Int = 4, spines: Int = 4) {
        self.shape = shape
        self.podsets = podsets
        self.torsPerPodset = torsPerPodset
        self.serversPerTor = serversPerTor
        self.leavesPerPodset = leavesPerPodset
        self.spines = spines
    }

    var servers: Int { podsets * torsPerPodset * serversPerTor }
    func tor(of server: Int) -> Int { server / serversPerTor }
    func podset(ofToR tor: Int) -> Int { tor / torsPerPodset }
    func serverName(_ server: Int) -> String { "s\(server)" }
    func torName(_ tor: Int) -> String { "tor\(tor)" }
    func leafName(_ podset: Int, _ leaf: Int) -> String { "leaf\(podset)-\(leaf)" }
    func spineName(_ spine: Int) -> String { "spine\(spine)" }

    var placements: [String: [String: String]] {
        Dictionary(
            uniqueKeysWithValues: (0..<servers).map { server in
                let tor = tor(of: server)
                return (serverName(server), ["dc": "dc1", "podset": "ps\(podset(ofToR: tor))", "tor": torName(tor)])
            })
    }

    var description: FabricDescription {
        var devices: [FabricDescription.Device] = (0..<podsets * torsPerPodset).map { .init(name: torName($0), tier: .tor, datacenter: "dc1") }
        devices += (0..<spines).map { .init(name: spineName($0), tier: .spine, datacenter: "dc1") }
        if shape == .threeTier {
            for podset in 0..<podsets {
                devices += (0..<leavesPerPodset).map { .init(name: leafName(podset, $0), tier: .leaf, datacenter: "dc1", podset: "ps\(podset)") }
            }
        }
        return FabricDescription(shape: shape, devices: devices)
    }

    /// The pairs the controller's plan gives: every server probes its ToR's other servers and
    /// the server in its place under every other ToR.
    var pairs: [(Int, Int)] {
        var result: [(Int, Int)] = []
        for source in 0..<servers {
            for destination in 0..<servers where destination != source {
                if tor(of: source) == tor(of: destination) || source % serversPerTor == destination % serversPerTor {
                    result.append((source, destination))
                }
            }
        }
        return result
    }

    /// A 5-tuple's hash at one device: the devices' seeds differ, so choices do not polarise.
    static func hash(_ source: Int, _ destination: Int, _ sourcePort: Int, _ destinationPort: Int, device: String) -> UInt64 {
        StableHash.fnv1a64("\(source)|\(destination)|\(sourcePort)|\(destinationPort)|\(device)")
    }

    /// The devices a packet from `source` to `destination` crosses, and whether it is dropped for
    /// good on the way (a link down with no way round, a black-holed 5-tuple); `links` are the
    /// hops as (from, to) names.
    func route(_ source: Int, _ destination: Int, sourcePort: Int, destinationPort: Int, fault: Fault) -> (devices: [String], blackholed: Bool) {
        let (a, b) = (tor(of: source), tor(of: destination))
        func choose(_ options: [String], at device: String) -> String {
            // A device sees its own links down and leaves them out of its choice.
            var usable = options
            if case .linkDown(let tor, let upper) = fault {
                usable.removeAll { (device == tor && $0 == upper) || (device == upper && $0 == tor) }
            }
            if usable.isEmpty { usable = options }
            return usable[Int(Self.hash(source, destination, sourcePort, destinationPort, device: device) % UInt64(usable.count))]
        }
        var path = [torName(a)]
        if a != b {
            switch shape {
            case .twoTier:
                path.append(choose((0..<spines).map(spineName), at: torName(a)))
            case .threeTier:
                let (p, q) = (podset(ofToR: a), podset(ofToR: b))
                let up = choose((0..<leavesPerPodset).map { leafName(p, $0) }, at: torName(a))
                path.append(up)
                if p != q {
                    let spine = choose((0..<spines).map(spineName), at: up)
                    path.append(spine)
                    path.append(choose((0..<leavesPerPodset).map { leafName(q, $0) }, at: spine))
                }
            }
            path.append(torName(b))
        }
        var blackholed = false
        switch fault {
        case .linkDown(let tor, let upper):
            // Only the device above sees no other way down to the ToR.
            for (from, to) in zip(path, path.dropFirst()) where from == upper && to == tor { blackholed = true }
        case .portBlackHole(let device, let port):
            blackholed = sourcePort == port && path.dropFirst().dropLast().contains(device)
        case .torBlackHole(let tor, let share):
            let pair = StableHash.fnv1a64("pair|\(min(source, destination))|\(max(source, destination))")
            blackholed = path.contains(tor) && Double(pair % 10_000) / 10_000 < share
        case .serverDown(let server):
            blackholed = source == server || destination == server
        default: break
        }
        return (path, blackholed)
    }

    /// Whether one packet gets through: not black-holed, and not dropped at random on the way.
    func delivered(_ route: (devices: [String], blackholed: Bool), fault: Fault, random: inout SplitMix64) -> Bool {
        guard !route.blackholed else { return false }
        if case .drops(let device, let rate) = fault, route.devices.contains(device) {
            return Double(random.next() % 1_000_000) / 1_000_000 >= rate
        }
        return true
    }

    /// One probe: (lost packets, resent SYN, failed).
    func probe(_ source: Int, _ destination: Int, sourcePort: Int, fault: Fault, random: inout SplitMix64) -> (resent: Bool, failed: Bool) {
        let forward = route(source, destination, sourcePort: sourcePort, destinationPort: 9301, fault: fault)
        let back = route(destination, source, sourcePort: 9301, destinationPort: sourcePort, fault: fault)
        for attempt in 0..<2 {
            if delivered(forward, fault: fault, random: &random) && delivered(back, fault: fault, random: &random) {
                return (attempt > 0, false)
            }
        }
        return (true, true)
    }

    /// What one window shows: the evidence analysis reads, and every failing 5-tuple by pair.
    func window(_ fault: Fault, seed: UInt64) -> (evidence: WindowEvidence, failing: [String: [Int]]) {
        var random = SplitMix64(seed: seed)
        let fabric = FabricModel(placements: placements, shape: shape)
        var observations: [PairObservation] = []
        var failing: [String: [Int]] = [:]
        var down = -1
        if case .serverDown(let server) = fault { down = server }
        for (source, destination) in pairs where source != down {
            var observation = PairObservation(
                source: fabric.serverIndex[serverName(source)]!, destination: fabric.serverIndex[serverName(destination)]!, sent: 0, lost: 0,
                p99Microseconds: 150)
            var portFailures: [Int: (sent: Int, failed: Int)] = [:]
            for index in 0..<probesPerWindow {
                let port = sourcePorts[index % sourcePorts.count]
                let (resent, failed) = probe(source, destination, sourcePort: port, fault: fault, random: &random)
                observation.sent += 1 + (resent && !failed ? 1 : 0)
                observation.lost += (failed ? 1 : 0) + (resent && !failed ? 1 : 0)
                portFailures[port, default: (0, 0)].sent += 1
                if failed { portFailures[port, default: (0, 0)].failed += 1 }
                if resent || failed { failing["\(serverName(source)) -> \(serverName(destination))", default: []].append(port) }
            }
            observation.blackholedPorts = UInt16(portFailures.values.filter { $0.sent >= 2 && $0.failed == $0.sent }.count)
            if observation.blackholedPorts > 0 && observation.lost == observation.sent { observation.blackholedPorts = 0 }
            observations.append(observation)
        }
        observations.sort { ($0.source, $0.destination) < ($1.source, $1.destination) }
        var reporting = [Bool](repeating: true, count: servers)
        if down >= 0 { reporting[Int(fabric.serverIndex[serverName(down)]!)] = false }
        return (WindowEvidence(fabric: fabric, reporting: reporting, pairs: observations), failing)
    }

    /// Traceroutes of a finding's example pairs: their failing 5-tuples, then three others each.
    func traces(for finding: Finding, failing: [String: [Int]], fault: Fault) -> [PathVoting.Trace] {
        var traces: [PathVoting.Trace] = []
        for example in finding.examples.prefix(4) {
            let names = example.split(separator: ":", maxSplits: 1).first.map(String.init) ?? example
            let ends = names.components(separatedBy: " -> ")
            guard ends.count == 2, let source = Int(ends[0].dropFirst()), let destination = Int(ends[1].dropFirst()) else { continue }
            var ports = Array(Set(failing[names] ?? [])).sorted().prefix(2).map { ($0, true) }
            ports += (0..<3).map { (40_000 + Int(StableHash.fnv1a64("\(names)|\($0)") % 20_000), false) }
            for (port, isFailing) in ports {
                let path = route(source, destination, sourcePort: port, destinationPort: 9301, fault: fault)
                var hops: [String?] = path.devices
                var reached = true
                if path.blackholed, let stop = stopIndex(path.devices, fault: fault) {
                    hops = Array(path.devices.prefix(stop)) + [nil, nil, nil]
                    reached = false
                }
                traces.append(PathVoting.Trace(source: serverName(source), destination: serverName(destination), hops: hops, reachedDestination: reached, failing: isFailing))
            }
        }
        return traces
    }

    /// How many devices of a black-holed path still answer a traceroute (each answers the TTL
    /// that expires on it before it forwards, so the dropping device answers too).
    func stopIndex(_ devices: [String], fault: Fault) -> Int? {
        switch fault {
        case .linkDown(_, let upper): devices.firstIndex(of: upper).map { $0 + 1 }
        case .portBlackHole(let device, _): devices.firstIndex(of: device).map { $0 + 1 }
        case .torBlackHole(let tor, _): devices.firstIndex(of: tor).map { $0 + 1 }
        default: nil
        }
    }

    /// A random fault of each kind in turn, and what must be named: the component pair data can
    /// name (any of them), and the device or link traceroutes must name, if any.
    func randomFault(index: Int, random: inout SplitMix64) -> (fault: Fault, components: [FabricComponent], culprit: PathVoting.Culprit?) {
        let tors = podsets * torsPerPodset
        let spine = Int(random.next() % UInt64(spines))
        let tor = Int(random.next() % UInt64(tors))
        let tierOfSpines = FabricComponent.spineTier(datacenter: "dc1")
        let kinds = shape == .threeTier ? 6 : 5
        switch index % kinds {
        case 0:
            return (.drops(device: spineName(spine), rate: [0.01, 0.02, 0.05][Int(random.next() % 3)]), [tierOfSpines], .device(spineName(spine)))
        case 1:
            let upper = shape == .twoTier ? spineName(spine) : leafName(podset(ofToR: tor), Int(random.next() % UInt64(leavesPerPodset)))
            // Pair data sees the ToR, or the tier the link climbs into: either is the right place.
            let tier = shape == .twoTier ? tierOfSpines : .leafTier(podset: "ps\(podset(ofToR: tor))", datacenter: "dc1")
            return (.linkDown(tor: torName(tor), upper: upper), [.tor(name: torName(tor), podset: "ps\(podset(ofToR: tor))"), tier], .link(upper, torName(tor)))
        case 2:
            return (.portBlackHole(device: spineName(spine), port: sourcePorts[0]), [tierOfSpines], .device(spineName(spine)))
        case 3:
            return (.torBlackHole(tor: torName(tor), share: 0.2 + Double(random.next() % 20) / 100), [.tor(name: torName(tor), podset: "ps\(podset(ofToR: tor))")], .device(torName(tor)))
        case 4:
            let server = Int(random.next() % UInt64(servers))
            return (.serverDown(server: server), [.server(name: serverName(server))], nil)
        default:
            let podset = Int(random.next() % UInt64(podsets))
            let leaf = leafName(podset, Int(random.next() % UInt64(leavesPerPodset)))
            return (.drops(device: leaf, rate: [0.02, 0.05][Int(random.next() % 2)]), [.leafTier(podset: "ps\(podset)", datacenter: "dc1")], .device(leaf))
        }
    }
}
