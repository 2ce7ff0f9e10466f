import ArgumentParser

/// `pingmesh`: one binary for the agent, the controller, the collector and the tools around them.
@main
struct Pingmesh: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pingmesh",
        abstract: "Data-center network latency and loss monitoring after Microsoft's Pingmesh.",
        discussion: """
            Every server runs an agent that probes a topology-aware list of peers and answers their probes; \
            the agent exports Prometheus metrics. Start with `pingmesh up` to see a simulated mesh on this machine.
            """,
        version: PingmeshVersion.current,
        subcommands: [
            UpCommand.self, AgentCommand.self, ControllerCommand.self, CollectorCommand.self, ProbeCommand.self, PinglistCommand.self,
            CheckConfigCommand.self, FaultCommand.self, AgentsCommand.self, TaskCommand.self, TracerouteCommand.self, UpgradeKeyCommand.self,
        ]
    )
}
