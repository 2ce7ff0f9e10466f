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
        /// Seconds since the agent last pulled or polled; nil when it never has.
        var lastSeenSecondsAgo: Double?
        /// Not heard from within the controller's stale time (pingmesh_agent_up 0).
        var stale: Bool
        var heartbeat: AgentHeartbeat?

        enum CodingKeys: String, CodingKey {
            case name, source, addresses, labels, version, peers, stale, heartbeat
            case lastSeenSecondsAgo = "last_seen_seconds_ago"
        }
    }

    var agents: [Agent]

    static func make(state: ControllerState) -> AgentListing {
        let registered = Dictionary(uniqueKeysWithValues: state.registered.map { ($0.name, $0) })
        guard let snapshot = state.snapshot else { return AgentListing(agents: []) }
        let topology = snapshot.plan.topology
        let agents = topology.servers.indices.map { index -> Agent in
            let server = topology.servers[index]
            let registration = registered[server.name]
            let contact = state.contact(of: server.name)
            return Agent(
                name: server.name, source: registration == nil ? "topology" : "registration",
                addresses: [server.ipv4, server.ipv6].compactMap { $0 }, labels: topology.topologyLabels(of: index),
                version: contact.heartbeat?.version ?? registration?.version, peers: snapshot.plan.peers[index].count,
                lastSeenSecondsAgo: contact.secondsAgo,
                stale: contact.secondsAgo.map { $0 > state.configuration.agentStaleAfter.seconds } ?? true, heartbeat: contact.heartbeat)
        }
        return AgentListing(agents: agents)
    }
}
