import PingmeshModel

/// `GET /v1/agents`: every agent the controller plans for, and where it came from.
struct AgentListing: Encodable {
    struct Agent: Encodable {
        var name: String
        var source: String
        var addresses: [String]
        var labels: [String: String]
        var version: String?
        var peers: Int
    }

    var agents: [Agent]

    static func make(state: ControllerState) -> AgentListing {
        let registered = Dictionary(uniqueKeysWithValues: state.registered.map { ($0.name, $0) })
        guard let snapshot = state.snapshot else { return AgentListing(agents: []) }
        let topology = snapshot.plan.topology
        let agents = topology.servers.indices.map { index -> Agent in
            let server = topology.servers[index]
            let registration = registered[server.name]
            return Agent(
                name: server.name, source: registration == nil ? "topology" : "registration",
                addresses: [server.ipv4, server.ipv6].compactMap { $0 }, labels: topology.topologyLabels(of: index),
                version: registration?.version, peers: snapshot.plan.peers[index].count)
        }
        return AgentListing(agents: agents)
    }
}
