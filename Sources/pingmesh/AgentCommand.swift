import ArgumentParser
import Foundation
import Logging
import PingmeshAgent
import PingmeshModel
import PingmeshProbe
import ServiceLifecycle

/// `pingmesh agent`: probe a pinglist, answer other agents' probes, export metrics.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run an agent: probe the pinglist's targets, answer other agents' probes, export Prometheus metrics.",
        discussion: """
            Static mode: --pinglist FILE. The file is reloaded when it changes and on SIGHUP; a bad new file is \
            rejected (logged, counted in pingmesh_agent_pinglist_rejected_total) and the last good list kept. \
            Metrics at http://LISTEN/metrics, HTTP responder at /ping, TCP responder on --tcp-listen.
            """
    )

    @Option(help: "Pinglist file (YAML or JSON; native or pingmesh-agent format).")
    var pinglist: String

    @Option(help: "This agent's name (default: the host name).")
    var name: String = ProcessInfo.processInfo.hostName

    @Option(help: "Labels of this agent, k=v,k=v (dc, podset, pod, tor, region, ...).")
    var labels: String = ""

    @Option(help: "HTTP listener: /metrics, /ping, /healthz.")
    var listen: String = "0.0.0.0:\(DefaultPorts.agentHTTP)"

    @Option(help: "TCP responder other agents probe.")
    var tcpListen: String = "0.0.0.0:\(DefaultPorts.agentTCP)"

    @Option(help: "Most connections each responder serves at once.")
    var maxConnections: Int = 1024

    @Flag(help: "Export a full RTT histogram per target (small meshes only: one series set per target).")
    var metricsPerTarget = false

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        try logging.bootstrap()
        let logger = Logger(label: "pingmesh.agent")
        let configuration: AgentConfiguration
        do {
            // Refuse to start on a bad file: a typo should fail loudly, not probe nothing.
            _ = try PinglistDecoder.load(path: pinglist)
            configuration = AgentConfiguration(
                name: name, labels: try LabelList.parse(labels, field: "--labels"),
                httpListen: try ListenAddress(parsing: listen, field: "--listen"),
                tcpListen: try ListenAddress(parsing: tcpListen, field: "--tcp-listen"),
                responderLimits: ResponderLimits(maxConnections: try positive(maxConnections, "--max-connections")),
                metricsPerTarget: metricsPerTarget
            )
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
        let agent = Agent(
            configuration: configuration, source: StaticPinglistFile(path: pinglist, logger: logger), logger: logger
        ) { endpoints in
            logger.info("agent running", metadata: ["metrics": "http://\(endpoints.http)/metrics", "tcp": "\(endpoints.tcp)"])
        }
        let group = ServiceGroup(services: [agent], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}

func positive(_ value: Int, _ field: String) throws(ConfigError) -> Int {
    guard value > 0 else {
        throw ConfigError(file: "command line", issues: [.init(path: field, reason: "\(value) must be above zero")])
    }
    return value
}
