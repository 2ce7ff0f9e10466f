import Foundation
import PingmeshModel

/// A data center simulated on one machine: every server an agent with its own loopback
/// address (127.1.x.y), so the mesh is real TCP traffic that never leaves the host.
public struct SimulatedMesh: Sendable {
    public struct Server: Sendable, Hashable {
        public var name: String
        public var address: String
        public var labels: [String: String]
    }

    public var servers: [Server]
    public var interval: Duration

    /// `count` servers, 8 to a simulated ToR, 4 ToRs to a podset, in dc1.
    public init(count: Int, interval: Duration = SafetyLimits.minimumPairInterval) {
        self.interval = interval
        servers = (0..<count).map { index in
            let tor = index / 8
            return Server(
                name: String(format: "sim-%03d", index), address: "127.1.\(index / 250).\(index % 250 + 1)",
                labels: ["dc": "dc1", "podset": "podset\(tor / 4)", "pod": "pod\(tor)", "tor": "tor\(tor)"]
            )
        }
    }

    /// Every other server, probed over TCP at its responder: a full mesh, until the controller
    /// computes topology-aware lists.
    public func pinglist(for server: Server, tcpPort: Int) -> Pinglist {
        let peers = servers.filter { $0 != server }
        let file = PinglistFile(
            agent: server.name,
            settings: PinglistSettingsFile(interval: ConfigDuration(interval), sourceAddress: server.address),
            groups: Dictionary(grouping: peers, by: { $0.labels["tor"] ?? "" }).sorted { $0.key < $1.key }.map { tor, members in
                TargetGroupFile(
                    name: tor, labels: members[0].labels, kind: .tcp, port: tcpPort,
                    targets: members.map { TargetFile(address: $0.address, name: $0.name) }
                )
            }
        )
        // The mesh is built from valid parts; a failure here is a bug in this type.
        do {
            return try file.validated(file: "simulated mesh", contentVersion: "sim-\(servers.count)")
        } catch {
            preconditionFailure("simulated pinglist invalid: \(error)")
        }
    }
}
