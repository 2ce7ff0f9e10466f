import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import PingmeshHTTPSupport
import PingmeshModel
import ServiceLifecycle

/// The controller: merges its discovery sources, plans every agent's pinglist and serves them.
/// Stateless beyond what its sources give it, so replicas behind one VIP answer alike.
public struct Controller: Service {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// nil: no topology file; the mesh comes from registration alone.
        public var topologyFile: String?
        /// A fixed topology (for `pingmesh up` and tests) instead of a file.
        public var topology: TopologyFile?
        public var state: ControllerState.Configuration
        public var tokens: AccessTokens
        /// Kubernetes discovery, when on.
        public var kubernetes: KubernetesDiscovery.Configuration?
        /// A self-upgrade rolled out from the start (`--upgrade FILE`); nil: none until PUT /v1/upgrade.
        public var upgrade: UpgradeSpec?
        /// HTTPS (and mutual TLS when it names a client CA); nil: plain HTTP.
        public var tls: ServerTLSContext?
        /// The other replicas behind the same address (`--peer`): registrations are pushed to them.
        public var peers: [String] = []
        /// A token the peers accept on agent routes (`--peer-token-file`).
        public var peerToken: String?
        /// How often registrations are pushed to the peers; a quarter of the registration TTL
        /// when nil.
        public var peerPushPeriod: Duration?

        public init(
            host: String = "0.0.0.0", port: Int = DefaultPorts.controller, topologyFile: String? = nil, topology: TopologyFile? = nil,
            state: ControllerState.Configuration = .init(), tokens: AccessTokens = AccessTokens(),
            kubernetes: KubernetesDiscovery.Configuration? = nil, upgrade: UpgradeSpec? = nil
        ) {
            self.kubernetes = kubernetes
            self.upgrade = upgrade
            self.host = host
            self.port = port
            self.topologyFile = topologyFile
            self.topology = topology
            self.state = state
            self.tokens = tokens
        }
    }

    public let configuration: Configuration
    public let state: ControllerState
    /// On-demand tasks accepted by this replica.
    public let tasks = TaskBoard()
    /// The self-upgrade rollout this replica runs (waves are per replica).
    public let upgrades = UpgradeRollout()
    private let logger: Logger
    private let group: any EventLoopGroup
    private let onRunning: @Sendable (Int) async -> Void

    public init(
        configuration: Configuration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger? = nil,
        onRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        let logger = logger ?? Logger(label: "pingmesh.controller")
        self.logger = logger
        self.group = group
        self.onRunning = onRunning
        self.state = ControllerState(configuration: configuration.state, metrics: ControllerMetrics(), logger: logger)
        if let topology = configuration.topology { state.setTopologyFile(topology) }
        // Validated by the command already; an invalid spec here is a programming error.
        if let upgrade = configuration.upgrade { try? upgrades.start(upgrade) }
    }

    public func run() async throws {
        let (state, board, upgrades, configuration, logger, onRunning) = (
            self.state, self.tasks, self.upgrades, self.configuration, self.logger, self.onRunning
        )
        if configuration.tokens.adminOpenToAnyone {
            logger.warning(
                "--insecure-open-admin: anyone who can reach the controller can run tasks and upgrades on every agent (use --tokens FILE)")
        } else if configuration.tokens.isOpen {
            logger.notice(
                "no bearer tokens: pinglists, registration and reads need none; tasks and upgrades are closed until --tokens FILE names an admin token")
        }
        let app = Application(
            router: ControllerAPI.router(state: state, tasks: board, upgrades: upgrades, tokens: configuration.tokens),
            server: .http1(tls: configuration.tls, configuration: .init(idleTimeout: .seconds(60))),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "pingmesh-controller",
                availableConnectionsDelegate: MaximumAvailableConnections(4096)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? configuration.port) },
            eventLoopGroupProvider: .shared(group), logger: logger)

        try await withThrowingDiscardingTaskGroup { tasks in
            tasks.addTask { try await app.run() }
            // Agents' task polls wait up to 25 s; ended at once so that a stop takes no longer.
            tasks.addTask {
                try? await gracefulShutdown()
                board.close()
            }
            if let tls = configuration.tls { tasks.addTask { await cancelWhenGracefulShutdown { await tls.watch(logger: logger) } } }
            tasks.addTask { await cancelWhenGracefulShutdown { await state.runRebuilds() } }
            tasks.addTask {
                // Registrations expire; check a few times per TTL.
                await cancelWhenGracefulShutdown {
                    let period = configuration.state.registrationTTL / 4
                    while !Task.isCancelled {
                        try? await Task.sleep(for: period)
                        state.expireRegistrations()
                    }
                }
            }
            tasks.addTask {
                await cancelWhenGracefulShutdown {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(5))
                        board.expire()
                        upgrades.expire()
                    }
                }
            }
            if !configuration.peers.isEmpty {
                let sync = PeerRegistrationSync(
                    configuration: .init(
                        peers: configuration.peers, token: configuration.peerToken,
                        period: configuration.peerPushPeriod ?? configuration.state.registrationTTL / 4),
                    client: .shared, logger: logger)
                tasks.addTask { await cancelWhenGracefulShutdown { await sync.run(state: state) } }
            }
            if let kubernetes = configuration.kubernetes {
                tasks.addTask {
                    do {
                        try await cancelWhenGracefulShutdown {
                            try await KubernetesDiscovery(configuration: kubernetes, logger: logger).run(state: state)
                        }
                    } catch is CancellationError {
                        return
                    }
                }
            }
            if let path = configuration.topologyFile {
                tasks.addTask {
                    do {
                        try await cancelWhenGracefulShutdown { try await TopologyFileWatcher(path: path, logger: logger).run(state: state) }
                    } catch is CancellationError {
                        return
                    }
                }
            }
        }
    }
}

/// ServiceLifecycle logs each service by its description: the address only, never the
/// configuration, which holds the tokens.
extension Controller: CustomStringConvertible {
    public var description: String { "Controller(\(HostPort.join(configuration.host, configuration.port)))" }
}
