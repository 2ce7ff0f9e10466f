import PingmeshModel

/// `pingmesh_agent_up{agent}` on the controller's metrics: 1 for an agent heard from (a pull or
/// a task poll) within the stale time, 0 otherwise. A fleet of 100,000 agents would be 100,000
/// series, so the series are capped: down agents come first (they are what an operator looks
/// for), then up ones, up to the cap; the counts by state cover every agent whatever the cap.
enum AgentUpExposition {
    static func text(_ liveness: [(name: String, up: Bool)], cap: Int) -> String {
        let down = liveness.filter { !$0.up }
        let up = liveness.filter(\.up)
        let shown = Array((down + up).prefix(cap))
        var lines = [
            "# HELP pingmesh_agent_up Whether the agent pulled its pinglist or polled for tasks recently (1) or not (0); down agents first, capped.",
            "# TYPE pingmesh_agent_up gauge",
        ]
        for agent in shown.sorted(by: { $0.name < $1.name }) {
            lines.append("pingmesh_agent_up{agent=\"\(escaped(agent.name))\"} \(agent.up ? 1 : 0)")
        }
        lines += [
            "# HELP pingmesh_controller_agents Planned agents by liveness, every agent counted whatever the series cap.",
            "# TYPE pingmesh_controller_agents gauge",
            "pingmesh_controller_agents{state=\"up\"} \(up.count)",
            "pingmesh_controller_agents{state=\"down\"} \(down.count)",
            "# HELP pingmesh_controller_agent_up_series_omitted Agents left out of pingmesh_agent_up by the series cap.",
            "# TYPE pingmesh_controller_agent_up_series_omitted gauge",
            "pingmesh_controller_agent_up_series_omitted \(liveness.count - shown.count)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// A label value as the exposition format escapes it.
    static func escaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
