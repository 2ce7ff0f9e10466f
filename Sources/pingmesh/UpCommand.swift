import ArgumentParser
import Foundation
import Logging
import PingmeshAgent
import PingmeshCollector
import PingmeshController
import PingmeshModel
import ServiceLifecycle
import Synchronization

/// `pingmesh up`: the whole system on one machine.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run Pingmesh on this machine: a controller, a collector and a simulated data center of agents probing each other over loopback.",
        discussion: """
            The controller plans the simulated topology (8 servers per ToR, 4 ToRs per podset, two DCs from 32 servers \
            on); each simulated server is a real agent with its own loopback address (127.1.x.y) that pulls its \
            pinglist from the controller, answers probes on its own TCP and HTTP responders and serves its own \
            metrics at http://127.1.x.y:HTTP-PORT/metrics. Every agent uploads its window summaries to the collector, which \
            keeps them in SQLite under --data (a restart keeps the history) and rolls them up by ToR, podset and DC. \
            Stop with Ctrl-C.
            """
    )

    @Option(help: "Number of simulated servers (2...2000).")
    var simulate: Int = 64

    @Option(help: "Port of every simulated agent's HTTP listener (metrics, /ping).")
    var httpPort: Int = DefaultPorts.agentHTTP

    @Option(help: "Port of every simulated agent's TCP responder.")
    var tcpPort: Int = DefaultPorts.agentTCP

    @Option(help: "Port of every simulated agent's UDP echo responder.")
    var udpPort: Int = DefaultPorts.agentUDP

    @Option(help: "The controller's listener.")
    var controllerListen: String = "127.0.0.1:\(DefaultPorts.controller)"

    @Option(help: "The collector's listener.")
    var collectorListen: String = "127.0.0.1:\(DefaultPorts.collector)"

    @Option(help: "Directory for the collector's SQLite store and the agents' upload spools.")
    var data: String = "./pingmesh-data"

    @Option(help: "Seconds per agent summary window (10, 15, 20, 30 or 60).")
    var window: Int = 20

    @Option(help: "Serve the web UI from this directory instead of the copy built into the binary (for UI work).")
    var uiDir: String?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (2...2000).contains(simulate) else { throw ValidationError("--simulate: \(simulate) is outside 2...2000") }
        guard (1...65535).contains(httpPort) else { throw ValidationError("--http-port: \(httpPort) is outside 1...65535") }
        guard (1...65535).contains(tcpPort) else { throw ValidationError("--tcp-port: \(tcpPort) is outside 1...65535") }
        guard ResultBatch.allowedWindowSeconds.contains(window) else {
            throw ValidationError("--window: \(window) is not one of \(ResultBatch.allowedWindowSeconds.sorted()) (seconds)")
        }
    }

    func run() async throws {
        try logging.bootstrap()
        let logger = Logger(label: "pingmesh.up")
        let mesh = SimulatedMesh(count: simulate)
        let faults = FaultInjector(mesh: mesh)
        // Admin operations are closed without a token, in the demo too: a fresh admin token each
        // start, in a file the command-line tools read, and an agent token for the agents.
        let (adminToken, agentToken) = (AdminTokenFiles.newToken(), AdminTokenFiles.newToken())
        let tokenFile = AdminTokenFiles.path(dataDirectory: data)
        do {
            try AdminTokenFiles.write(token: adminToken, to: tokenFile)
        } catch {
            throw ValidationError("--data: cannot write the admin token to \(tokenFile): \(error.localizedDescription)")
        }
        let tokens = AccessTokens([adminToken: .admin, agentToken: .agent])
        let listen = try ListenAddressParser.parse(controllerListen, field: "--controller-listen")
        let controllerURL = "http://\(HostPort.join(listen.host, listen.port))"
        let controller = Controller(
            configuration: .init(
                host: listen.host, port: listen.port, topology: mesh.topology(tcpPort: tcpPort), state: .init(registrationEnabled: false),
                tokens: tokens),
            logger: logger)

        let collectorAddress = try ListenAddressParser.parse(collectorListen, field: "--collector-listen")
        let collectorURL = "http://\(HostPort.join(collectorAddress.host, collectorAddress.port))"
        let store = try await StoreFactory.open(.sqlite(path: "\(data)/results.db"), logger: logger)
        let collector = Collector(
            configuration: .init(
                host: collectorAddress.host, port: collectorAddress.port, tokens: tokens, rollupInterval: .seconds(5),
                tools: OperatorTools(uiDirectory: try uiDir.map { try Self.directory($0, field: "--ui-dir") }, manualProbe: ManualProbe(), faults: faults)),
            store: store,
            logger: logger)

        // Each simulated agent would log its listeners' start at info: 64 lines and more before
        // the banner that says where to look. They speak from notice up, unless asked for debug.
        var agentLogger = Logger(label: "pingmesh.up.agent")
        if agentLogger.logLevel == .info { agentLogger.logLevel = .notice }
        let ready = Mutex(0)
        let total = mesh.servers.count
        let (httpPort, tcpPort) = (self.httpPort, self.tcpPort)
        let agents = mesh.servers.map { server in
            var configuration = AgentConfiguration(
                name: server.name, labels: mesh.placementLabels(of: server), httpListen: ListenAddress(host: server.address, port: httpPort),
                tcpListen: ListenAddress(host: server.address, port: tcpPort), udpListen: ListenAddress(host: server.address, port: udpPort), collectors: [collectorURL],
                uploadToken: agentToken, spoolDirectory: "\(data)/spool/\(server.name)", windowSeconds: window)
            // Each simulated server probes from its own address, as a real one would: with the
            // rotation's fixed source ports, a shared address would make the agents' 5-tuples collide.
            configuration.probeSourceAddress = server.address
            configuration.version = PingmeshVersion.current
            return Agent(
                configuration: configuration,
                source: ControllerPinglistSource(
                    controllers: [controllerURL], agentName: server.name, token: agentToken, period: mesh.interval, logger: agentLogger),
                tasks: TaskPoller(
                    controllers: [controllerURL], agentName: server.name, token: agentToken,
                    runner: TaskRunner(probe: ManualProbe(sourceAddress: server.address), sourceAddress: server.address), logger: agentLogger),
                logger: agentLogger, faults: faults
            ) { _ in
                let count = ready.withLock { value -> Int in
                    value += 1
                    return value
                }
                guard count == total else { return }
                // Written at once (not buffered as print is when stdout is a file or a pipe).
                let banner = Self.banner(
                    mesh: mesh, controller: controllerURL, collector: collectorURL, httpPort: httpPort, tcpPort: tcpPort, udpPort: udpPort,
                    adminToken: adminToken, tokenFile: tokenFile)
                FileHandle.standardOutput.write(Data((banner + "\n").utf8))
            }
        }
        let group = ServiceGroup(services: [controller, collector] + agents, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }

    /// An existing directory, or an error naming the option.
    static func directory(_ path: String, field: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(field): '\(path)' is not a directory")
        }
        return path
    }

    static func banner(
        mesh: SimulatedMesh, controller: String, collector: String, httpPort: Int, tcpPort: Int, udpPort: Int, adminToken: String,
        tokenFile: String
    ) -> String {
        let first = mesh.servers[0]
        let last = mesh.servers[mesh.servers.count - 1]
        return """
            pingmesh up: \(mesh.servers.count) simulated servers (\(first.address) ... \(last.address)), probing every \(ConfigDuration(mesh.interval))
              web UI:     \(collector)/#token=\(adminToken)   (the heatmap fills in about a minute after start)
              admin:      token in \(tokenFile) (pingmesh task, fault and agents read it from the default data directory)
              controller: \(controller)/v1/pinglist/\(first.name)   (agents: pingmesh agents)
              collector:  \(collector)/v1/matrix?level=tor&statistic=p99   (agents: \(collector)/v1/agents, metrics: \(collector)/metrics)
              metrics:    http://\(first.address):\(httpPort)/metrics  (each server on its own address, same port)
              responders: TCP \(tcpPort), UDP echo \(udpPort), HTTP \(httpPort)/ping
              try:        pingmesh probe tcp \(first.address):\(tcpPort) --count 3
              faults:     pingmesh fault inject tor-down \(first.torName) --collector \(collector)   (then: pingmesh fault clear)
            Ctrl-C stops.
            """
    }
}
