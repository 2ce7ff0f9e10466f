import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import PingmeshAgent
import PingmeshModel
import PingmeshProbe
import PingmeshWire
import ServiceLifecycle

/// `pingmesh agent`: probe a pinglist, answer other agents' probes, export metrics.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run an agent: probe the pinglist's targets, answer other agents' probes, export Prometheus metrics.",
        discussion: """
            Controller mode: --controller URL[,URL...]. The agent pulls its list every --pull-period (jittered), fails \
            over between controllers, and registers itself. After 3 failed pulls in a row, or an empty list, it stops \
            probing and keeps answering probes; the next good pull resumes probing. \
            Static mode: --pinglist FILE. The file is reloaded when it changes and on SIGHUP; a bad new file is \
            rejected (logged, counted in pingmesh_agent_pinglist_rejected_total) and the last good list kept. \
            Metrics at http://LISTEN/metrics, HTTP responder at /ping, TCP responder on --tcp-listen. \
            Results: with --collector URL[,URL...] the agent summarises each target per --window (counts, latency \
            histogram, failures) and POSTs the batches to {collector}/v1/results, retrying with backoff and failing over \
            between collectors; batches wait in --spool-dir (default ./pingmesh-spool/NAME) across restarts, up to \
            --spool-max-bytes, beyond which the oldest are dropped.
            """
    )

    @Option(help: "Pinglist file (YAML or JSON; native or pingmesh-agent format): static mode.")
    var pinglist: String?

    @Option(help: "Controller base URLs, comma-separated (http://host:9310): controller mode.")
    var controller: String?

    @Option(help: "File holding the bearer token for the controller.")
    var tokenFile: String?

    @Option(help: "How often to pull the pinglist from the controller.")
    var pullPeriod: String = "30s"

    @Flag(inversion: .prefixedNo, help: "Register with the controller (controller mode).")
    var register = true

    @Option(help: "Addresses other agents probe this one at, comma-separated (default: the --tcp-listen host when it is an IP).")
    var advertise: String?

    @Option(help: "This agent's name (default: the host name).")
    var name: String = ProcessInfo.processInfo.hostName

    @Option(help: "Labels of this agent, k=v,k=v (dc, podset, pod, tor, region, ...).")
    var labels: String = ""

    @Option(help: "HTTP listener: /metrics, /ping, /healthz.")
    var listen: String = "0.0.0.0:\(DefaultPorts.agentHTTP)"

    @Option(help: "TCP responder other agents probe.")
    var tcpListen: String = "0.0.0.0:\(DefaultPorts.agentTCP)"

    @Option(help: "Address probes leave from when the pinglist names none (a multi-NIC host's probing interface).")
    var sourceAddress: String?

    @Option(help: "UDP echo responder other agents probe; 'off' runs none.")
    var udpListen: String = "0.0.0.0:\(DefaultPorts.agentUDP)"

    @Option(help: "Most connections each responder serves at once.")
    var maxConnections: Int = 1024

    @Flag(help: "Export a full RTT histogram per target (small meshes only: one series set per target).")
    var metricsPerTarget = false

    @Option(help: "Collector base URLs, comma-separated (http://host:9320): upload results there.")
    var collector: String?

    @Option(help: "File holding the bearer token for the collector.")
    var collectorTokenFile: String?

    @Option(help: "Directory where result batches wait for upload, kept across restarts (default: ./pingmesh-spool/NAME).")
    var spoolDir: String?

    @Option(help: "Most bytes the spool may hold (suffixes KiB, MiB, GiB); beyond it the oldest batches are dropped (default: 64MiB).")
    var spoolMaxBytes: String?

    @Option(help: "Result window in seconds: 10, 15, 20, 30 or 60 (default: 60).")
    var window: Int?

    @Option(
        help:
            "Upload body: 'auto' sends protobuf to collectors that offer it (Accept-Post) and JSON to the others; 'json' always sends JSON (default: auto)."
    )
    var uploadFormat: String?

    @Flag(
        help:
            "Install upgrades the controller offers (checked against their SHA-256 and signed by the key of --upgrade-public-key, renamed over this binary), then exit 0 for the supervisor to restart (controller mode; docs/upgrade.md)."
    )
    var selfUpgrade = false

    @Option(help: "The release key's public half (pingmesh upgrade-key generate): --self-upgrade installs only binaries it signed.")
    var upgradePublicKey: String?

    @Option(help: "How often host names in the pinglist are resolved again, so a moved service is followed (e.g. 60s; at least 1s).")
    var resolveEvery: String = "60s"

    @Option(
        help:
            "blackbox_exporter's module file (its blackbox.yml, or pingmesh-agent's pingmesh.yml): serve /probe?module=M&target=T on --listen for Prometheus scrape jobs written for them."
    )
    var blackboxConfig: String?

    @OptionGroup var tls: ServerTLSOptions
    @OptionGroup var clientTLS: ClientTLSOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        // Every server pays the agent's resident memory; two malloc arenas serve its few,
        // small allocations (Benchmarks/README.md, "Agent memory").
        ProcessMemory.limitMallocArenas(2)
        try logging.bootstrap()
        let logger = Logger(label: "pingmesh.agent")
        let configuration: AgentConfiguration
        let source: any PinglistSource
        do {
            var agentConfiguration = AgentConfiguration(
                name: name, labels: try LabelList.parse(labels, field: "--labels"),
                httpListen: try ListenAddress(parsing: listen, field: "--listen"),
                tcpListen: try ListenAddress(parsing: tcpListen, field: "--tcp-listen"),
                udpListen: udpListen == "off" ? nil : try ListenAddress(parsing: udpListen, field: "--udp-listen"),
                responderLimits: ResponderLimits(maxConnections: try positive(maxConnections, "--max-connections")),
                metricsPerTarget: metricsPerTarget, version: PingmeshVersion.current
            )
            if let sourceAddress {
                guard IPAddressFamily.of(literal: sourceAddress) != nil else {
                    throw ValidationError("--source-address: '\(sourceAddress)' is not an IPv4 or IPv6 address")
                }
                agentConfiguration.probeSourceAddress = sourceAddress
            }
            try configureUpload(&agentConfiguration)
            guard let refresh = ConfigDuration(parsing: resolveEvery), refresh.duration >= .seconds(1) else {
                throw ValidationError("--resolve-every: '\(resolveEvery)' is not a duration of at least 1s")
            }
            agentConfiguration.nameRefreshInterval = refresh.duration
            if let blackboxConfig {
                let modules = try BlackboxConfigFile.load(path: blackboxConfig).modules
                for (name, module) in modules.sorted(by: { $0.key < $1.key }) {
                    if let refusal = module.refusal {
                        logger.warning("blackbox module refused", metadata: ["module": "\(name)", "reason": "\(refusal)"])
                    } else if !module.ignored.isEmpty {
                        logger.info("blackbox module fields ignored", metadata: ["module": "\(name)", "fields": "\(module.ignored.joined(separator: ", "))"])
                    }
                }
                agentConfiguration.blackboxModules = modules
            }
            agentConfiguration.tls = try tls.context()
            if let clientConfiguration = try clientTLS.configuration() { agentConfiguration.clients = .with(tls: clientConfiguration) }
            configuration = agentConfiguration
            source = try makeSource(configuration: configuration, logger: logger)
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
        // After an installed upgrade: shut down gracefully and exit 0, so the supervisor starts
        // the new binary.
        let (restartRequests, requestRestart) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let upgrader = try makeUpgrader(logger: logger, client: configuration.clients.standard) { requestRestart.yield() }
        // Tasks (and upgrade offers) come from the controllers the pinglist comes from.
        let tasks = (source as? ControllerPinglistSource).map { source in
            TaskPoller(
                controllers: source.controllers, agentName: configuration.name, token: source.token,
                runner: TaskRunner(
                    probe: ManualProbe(sourceAddress: configuration.probeSourceAddress), sourceAddress: configuration.probeSourceAddress),
                agentVersion: PingmeshVersion.current, upgrader: upgrader, client: configuration.clients.longPoll, logger: logger)
        }
        let agent = Agent(configuration: configuration, source: source, tasks: tasks, logger: logger) { endpoints in
            var metadata: Logger.Metadata = ["metrics": "\(configuration.tls == nil ? "http" : "https")://\(endpoints.http)/metrics", "tcp": "\(endpoints.tcp)"]
            if configuration.uploads {
                metadata["collectors"] = "\(configuration.collectors.joined(separator: ","))"
                metadata["spool"] = "\(configuration.spoolDirectory ?? "-")"
            }
            logger.info("agent running", metadata: metadata)
        }
        let group = ServiceGroup(services: [agent], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        let restart = Task {
            for await _ in restartRequests {
                await group.triggerGracefulShutdown()
                return
            }
        }
        defer { restart.cancel() }
        try await group.run()
    }

    /// The upgrader when `--self-upgrade` is on: it replaces the running binary's file.
    private func makeUpgrader(logger: Logger, client: HTTPClient, exit: @escaping @Sendable () async -> Void) throws -> SelfUpgrader? {
        guard selfUpgrade else {
            if upgradePublicKey != nil { throw ValidationError("--upgrade-public-key: only with --self-upgrade") }
            return nil
        }
        guard let keyPath = upgradePublicKey else {
            throw ValidationError(
                "--self-upgrade: needs --upgrade-public-key FILE, the release key that signs the binaries agents may install (docs/upgrade.md)")
        }
        let publicKey: Curve25519.Signing.PublicKey
        do {
            publicKey = try UpgradeKeyFile.readPublicKey(path: keyPath)
        } catch {
            throw ValidationError("--upgrade-public-key: \(error)")
        }
        guard controller != nil else {
            throw ValidationError("--self-upgrade: only with --controller URL (offers come from the controller)")
        }
        guard let path = SelfUpgrader.runningBinaryPath() else {
            throw ValidationError("--self-upgrade: cannot find the running binary's path (/proc/self/exe)")
        }
        guard access(URL(fileURLWithPath: path).deletingLastPathComponent().path, W_OK) == 0 else {
            throw ValidationError("--self-upgrade: the binary's directory is not writable: \(path)")
        }
        logger.info("self-upgrade on", metadata: ["binary": "\(path)"])
        return SelfUpgrader(installPath: path, publicKey: publicKey, client: client, logger: logger, exit: exit)
    }
}

extension AgentCommand {
    /// Fills in the upload settings (`--collector` and its companions) and checks them, every
    /// error naming its option.
    private func configureUpload(_ configuration: inout AgentConfiguration) throws {
        guard let collector else {
            let stray = [
                ("--collector-token-file", collectorTokenFile != nil), ("--spool-dir", spoolDir != nil),
                ("--spool-max-bytes", spoolMaxBytes != nil), ("--window", window != nil), ("--upload-format", uploadFormat != nil),
            ].filter(\.1).map(\.0)
            if let first = stray.first { throw ValidationError("\(first): only with --collector URL") }
            return
        }
        configuration.collectors = collector.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard !configuration.collectors.isEmpty else { throw ValidationError("--collector: no URL given") }
        if let collectorTokenFile {
            do {
                configuration.uploadToken = try String(contentsOfFile: collectorTokenFile, encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw ValidationError("--collector-token-file: cannot read \(collectorTokenFile): \(error.localizedDescription)")
            }
        }
        configuration.spoolDirectory = spoolDir ?? Self.defaultSpoolDirectory(name: configuration.name)
        if let spoolMaxBytes {
            guard let bytes = ByteSize.parse(spoolMaxBytes) else {
                throw ValidationError("--spool-max-bytes: '\(spoolMaxBytes)' is not a size in bytes (e.g. 67108864, 64MiB, 1GiB)")
            }
            configuration.spoolMaxBytes = bytes
        }
        if let window { configuration.windowSeconds = window }
        switch uploadFormat {
        case nil, "auto": configuration.uploadFormat = .protobuf
        case "json": configuration.uploadFormat = .json
        case let other?: throw ValidationError("--upload-format: '\(other)' is not one of auto, json")
        }
        let issues = configuration.uploadIssues()
        guard issues.isEmpty else { throw ValidationError(issues.map(\.description).joined(separator: "\n")) }
    }

    /// `./pingmesh-spool/NAME`, the name made safe as one path component.
    static func defaultSpoolDirectory(name: String) -> String {
        let safe = String(name.map { $0 == "/" || $0 == "\\" || $0.isWhitespace ? "_" : $0 })
        return "./pingmesh-spool/\(safe == "." || safe == ".." ? "_" : safe)"
    }

    private func makeSource(configuration: AgentConfiguration, logger: Logger) throws -> any PinglistSource {
        switch (pinglist, controller) {
        case (let path?, nil):
            // Refuse to start on a bad file: a typo should fail loudly, not probe nothing.
            _ = try PinglistDecoder.load(path: path)
            return StaticPinglistFile(path: path, logger: logger)
        case (nil, let urls?):
            let controllers = urls.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            for url in controllers where URL(string: url)?.scheme.map({ ["http", "https"].contains($0) }) != true {
                throw ValidationError("--controller: '\(url)' is not an http:// or https:// URL")
            }
            guard let period = ConfigDuration(parsing: pullPeriod), period.duration >= .seconds(1) else {
                throw ValidationError("--pull-period: '\(pullPeriod)' is not a duration of at least 1s")
            }
            let token = try tokenFile.map {
                try String(contentsOfFile: $0, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            var registration: AgentRegistration?
            if register {
                let addresses =
                    advertise.map { $0.split(separator: ",").map(String.init) }
                    ?? [configuration.tcpListen.host].filter { IPAddressFamily.of(literal: $0) != nil && !["0.0.0.0", "::"].contains($0) }
                guard !addresses.isEmpty else {
                    throw ValidationError("--advertise: needed to register when --tcp-listen is a wildcard address (or pass --no-register)")
                }
                let candidate = AgentRegistration(
                    name: configuration.name, addresses: addresses, labels: configuration.labels, version: PingmeshVersion.current)
                let issues = candidate.validationIssues()
                guard issues.isEmpty else {
                    throw ValidationError(issues.map { "registration: \($0)" }.joined(separator: "\n"))
                }
                registration = candidate
            }
            return ControllerPinglistSource(
                controllers: controllers, agentName: configuration.name, token: token, period: period.duration,
                registration: registration, agentVersion: PingmeshVersion.current, client: configuration.clients.standard, logger: logger)
        default:
            throw ValidationError("exactly one of --pinglist FILE (static mode) and --controller URL (controller mode) is needed")
        }
    }
}

func positive(_ value: Int, _ field: String) throws(ConfigError) -> Int {
    guard value > 0 else {
        throw ConfigError(file: "command line", issues: [.init(path: field, reason: "\(value) must be above zero")])
    }
    return value
}
