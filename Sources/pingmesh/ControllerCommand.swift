import ArgumentParser
import Foundation
import Logging
import PingmeshController
import PingmeshModel
import ServiceLifecycle

/// `pingmesh controller`: compute and serve every agent's pinglist.
struct ControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controller",
        abstract: "Serve topology-aware pinglists to agents (GET /v1/pinglist/{agent}).",
        discussion: """
            Sources: the topology file (reloaded on change and SIGHUP; a bad new file is rejected and the last good \
            one kept) and agents that register themselves (POST /v1/agents). Without a topology file the mesh comes \
            from registration alone: agents are grouped by --group-label and probe the agents of the other groups. \
            Replicas given the same sources serve byte-identical lists, so several can sit behind one VIP.
            """
    )

    @Option(help: "Topology file (YAML or JSON). Optional when agents register themselves.")
    var topology: String?

    @Option(help: "HTTP listener.")
    var listen: String = "0.0.0.0:\(DefaultPorts.controller)"

    @Option(help: "Bearer tokens file: tokens: [{token: ..., scope: agent|admin}]. Without it agents need no token and admin operations are closed.")
    var tokens: String?

    @Flag(help: "Without tokens, admin operations (POST /v1/tasks, PUT /v1/upgrade) need a token and are refused: open them to anyone who reaches the controller, for a lab only. Not with --tokens.")
    var insecureOpenAdmin = false

    @Flag(inversion: .prefixedNo, help: "Accept agent self-registration.")
    var registration = true

    @Option(help: "A registered agent unseen this long drops out.")
    var registrationTtl: String = "120s"

    @Option(
        help: ArgumentHelp(
            "Another replica behind the same address (repeatable): this one pushes the agents that registered with it there, every quarter of --registration-ttl, so every replica plans the same mesh.",
            valueName: "URL"))
    var peer: [String] = []

    @Option(help: "File holding a token the peers accept on agent routes (their --tokens file's), for --peer.")
    var peerTokenFile: String?

    @Option(help: "Registered agents are grouped by this label; each group probes the others.")
    var groupLabel: String = "region"

    @Flag(help: "Registered agents also probe the agents of their own group.")
    var probeOwnGroup = false

    @Flag(help: "Discover nodes from the Kubernetes API with the pod's service account (in-cluster).")
    var kubernetes = false

    @Option(help: "Kubernetes API URL for discovery from outside the cluster (e.g. http://127.0.0.1:8001 behind kubectl proxy).")
    var kubernetesApi: String?

    @Option(help: "Reach the Kubernetes API as this kubeconfig says (server, CA, token or client certificate), from outside the cluster.")
    var kubeconfig: String?

    @Option(help: "The kubeconfig context to use (default: its current-context).")
    var kubeconfigContext: String?

    @Option(help: "File with the bearer token for --kubernetes-api.")
    var kubernetesTokenFile: String?

    @Option(help: "CA bundle for --kubernetes-api over https.")
    var kubernetesCaFile: String?

    @Option(help: "Label selector of the agent pods; their IPs are probed. Without it, every node at its InternalIP.")
    var kubernetesAgentSelector: String?

    @Option(help: "Namespace of the agent pods (default: all).")
    var kubernetesNamespace: String?

    @Option(help: "Node label naming a node's ToR (rack); nodes without it are a ToR each.")
    var kubernetesTorLabel: String = "topology.pingmesh.io/tor"

    @Option(help: "Node label naming a node's podset; the zone when absent.")
    var kubernetesPodsetLabel: String = "topology.pingmesh.io/podset"

    @Option(
        help: "Agent self-upgrade to roll out from the start (YAML or JSON: version, url, sha256, force, rollout; docs/upgrade.md).")
    var upgrade: String?

    @OptionGroup var tls: ServerTLSOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        try logging.bootstrap()
        let logger = Logger(label: "pingmesh.controller")
        let configuration: Controller.Configuration
        do {
            let address = try ListenAddressParser.parse(listen, field: "--listen")
            if let topology { _ = try TopologyFileWatcher(path: topology).load() }
            guard let ttl = ConfigDuration(parsing: registrationTtl), ttl.duration >= .seconds(10) else {
                throw ValidationError("--registration-ttl: '\(registrationTtl)' is not a duration of at least 10s")
            }
            let discovery = try kubernetesConfiguration()
            guard topology != nil || registration || discovery != nil else {
                throw ValidationError("--topology: needed when registration is off (--no-registration), or the controller knows no servers")
            }
            var configured = Controller.Configuration(
                host: address.host, port: address.port, topologyFile: topology,
                state: .init(
                    mesh: RegistrationMesh(groupLabel: groupLabel, probeOwnGroup: probeOwnGroup), registrationTTL: ttl.duration,
                    registrationEnabled: registration),
                tokens: try AdminAccess.tokens(file: tokens, openAdmin: insecureOpenAdmin),
                kubernetes: discovery,
                upgrade: try upgrade.map { path throws(ConfigError) in try UpgradeSpec.load(path: path) })
            configured.tls = try tls.context()
            configured.peers = try peer.map { url in
                guard registration else { throw ValidationError("--peer: only with registration on (it shares registrations)") }
                guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), !(parsed.host ?? "").isEmpty else {
                    throw ValidationError("--peer: '\(url)' is not an http:// or https:// URL")
                }
                return url
            }
            if let peerTokenFile {
                guard !peer.isEmpty else { throw ValidationError("--peer-token-file: needs --peer") }
                configured.peerToken = try AdminAccess.resolve(token: nil, file: peerTokenFile, flag: "--peer-token-file")
            }
            configuration = configured
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
        let controller = Controller(configuration: configuration, logger: logger) { port in
            logger.info("controller running", metadata: ["url": "\(configuration.tls == nil ? "http" : "https")://\(HostPort.join(configuration.host, port))"])
        }
        try await ServiceGroup(services: [controller], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}

extension ControllerCommand {
    private func kubernetesConfiguration() throws -> KubernetesDiscovery.Configuration? {
        let placement = KubernetesPlacement(torLabel: kubernetesTorLabel, podsetLabel: kubernetesPodsetLabel)
        if let kubeconfig {
            guard kubernetesApi == nil else { throw ValidationError("--kubeconfig and --kubernetes-api exclude each other") }
            let access = try KubernetesAccess.load(kubeconfig: kubeconfig, context: kubeconfigContext)
            let configuration = KubernetesDiscovery.Configuration.kubeconfig(
                access, placement: placement, agentSelector: kubernetesAgentSelector, namespace: kubernetesNamespace)
            do {
                _ = try KubernetesDiscovery.tlsConfiguration(configuration)
            } catch {
                throw ValidationError("--kubeconfig \(kubeconfig): the certificate material is not usable PEM: \(error)")
            }
            return configuration
        }
        if let api = kubernetesApi {
            guard URL(string: api)?.scheme.map({ ["http", "https"].contains($0) }) == true else {
                throw ValidationError("--kubernetes-api: '\(api)' is not an http:// or https:// URL")
            }
            let token = try kubernetesTokenFile.map {
                try String(contentsOfFile: $0, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return KubernetesDiscovery.Configuration(
                apiURL: api, token: token, caFile: kubernetesCaFile, placement: placement, agentSelector: kubernetesAgentSelector,
                namespace: kubernetesNamespace)
        }
        guard kubernetes else { return nil }
        return try KubernetesDiscovery.Configuration.inCluster(
            placement: placement, agentSelector: kubernetesAgentSelector, namespace: kubernetesNamespace)
    }
}

/// HOST:PORT for listeners, shared by the commands.
enum ListenAddressParser {
    static func parse(_ text: String, field: String) throws(ConfigError) -> (host: String, port: Int) {
        guard let (host, port) = HostPort.split(text), let port, (0...65535).contains(port), !host.isEmpty else {
            throw ConfigError(
                file: "command line", issues: [.init(path: field, reason: "'\(text)' is not HOST:PORT with a port in 0...65535")])
        }
        return (host, port)
    }
}
