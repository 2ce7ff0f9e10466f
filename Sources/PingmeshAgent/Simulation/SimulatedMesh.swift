import Foundation
import PingmeshModel

/// A data center simulated on one machine: every server an agent with its own loopback
/// address (127.1.x.y), so the mesh is real TCP traffic that never leaves the host.
public struct SimulatedMesh: Sendable {
    public struct Server: Sendable, Hashable {
        public var name: String
        public var address: String
        public var datacenter: Int
        public var podset: Int
        public var tor: Int

        public var datacenterName: String { "dc\(datacenter + 1)" }
        public var podsetName: String { "\(datacenterName)-podset\(podset + 1)" }
        public var podName: String { "\(datacenterName)-pod\(tor + 1)" }
        public var torName: String { "\(datacenterName)-tor\(tor + 1)" }
    }

    public static let serversPerToR = 8
    public static let torsPerPodset = 4

    public var servers: [Server]
    public var interval: Duration
    /// Source ports every agent's probes rotate over: three ECMP paths per pair, two probes on
    /// each per minute, so a black-holed path shows in the per-port counts.
    public var sourcePorts = Array(20000...20002)

    /// `count` servers, 8 to a ToR, 4 ToRs to a podset; two data centers from 32 servers on.
    public init(count: Int, interval: Duration = SafetyLimits.minimumPairInterval) {
        self.interval = interval
        let datacenters = count >= 32 ? 2 : 1
        let perDC = (count + datacenters - 1) / datacenters
        servers = (0..<count).map { index in
            let datacenter = index / perDC
            let tor = (index % perDC) / Self.serversPerToR
            return Server(
                name: String(format: "sim-%03d", index), address: "127.1.\(index / 250).\(index % 250 + 1)",
                datacenter: datacenter, podset: tor / Self.torsPerPodset, tor: tor)
        }
    }

    /// The simulated data center as a topology for the controller; agents probe each other's
    /// TCP responders on `tcpPort`.
    public func topology(tcpPort: Int) -> TopologyFile {
        let byDC = Dictionary(grouping: servers, by: \.datacenter)
        return TopologyFile(
            settings: PinglistSettingsFile(
                interval: ConfigDuration(interval), timeout: .seconds(1), sourcePorts: "\(sourcePorts.first ?? 20000)-\(sourcePorts.last ?? 20000)"),
            probe: .init(kind: .tcp, port: tcpPort),
            interDC: .init(serversPerPodset: 1),
            datacenters: byDC.keys.sorted().map { datacenter in
                let byPodset = Dictionary(grouping: byDC[datacenter]!, by: \.podset)
                return TopologyFile.DataCenterFile(
                    name: byDC[datacenter]![0].datacenterName, region: "sim",
                    podsets: byPodset.keys.sorted().map { podset in
                        let byToR = Dictionary(grouping: byPodset[podset]!, by: \.tor)
                        return TopologyFile.PodsetFile(
                            name: byPodset[podset]![0].podsetName,
                            pods: byToR.keys.sorted().map { tor in
                                TopologyFile.PodFile(
                                    name: byToR[tor]![0].podName, tor: byToR[tor]![0].torName,
                                    servers: byToR[tor]!.map { TopologyFile.ServerFile(name: $0.name, ipv4: $0.address) })
                            })
                    })
            })
    }

    /// The labels that place `server` as the topology places it, so its uploads say where it sits.
    public func placementLabels(of server: Server) -> [String: String] {
        ["region": "sim", "dc": server.datacenterName, "podset": server.podsetName, "pod": server.podName, "tor": server.torName]
    }
}
