import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import PingmeshHTTPSupport
import PingmeshModel
import ServiceLifecycle

/// The collector: ingest API, rollups, retention and the query API over one store. Runs as a
/// `Service` until graceful shutdown.
public struct Collector: Service {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var tokens: AccessTokens
        public var retention: Retention
        /// How often dirty windows are rolled up and the level metrics refreshed.
        public var rollupInterval: Duration
        /// Label values per label in the level metrics before they fold into "*".
        public var levelLabelCap: Int
        /// Where incidents are sent (webhooks, Alertmanager); empty: only the incidents API.
        public var notifications: IncidentNotifier.Configuration
        /// The web UI's source, the manual probe and (under `pingmesh up`) fault injection.
        public var tools: OperatorTools
        /// Traceroutes on demand for opened network incidents, through this controller's task
        /// API; nil: none.
        public var traceroutes: TracerouteRequester.Configuration?
        /// HTTPS (and mutual TLS when it names a client CA); nil: plain HTTP.
        public var tls: ServerTLSContext?
        /// The fabric's shape and devices, from the topology (`--topology`); three tiers when
        /// nothing says otherwise.
        public var fabric: FabricDescription = .standard

        public init(
            host: String = "0.0.0.0", port: Int = DefaultPorts.collector, tokens: AccessTokens = AccessTokens(),
            retention: Retention = Retention(), rollupInterval: Duration = .seconds(10), levelLabelCap: Int = 50,
            notifications: IncidentNotifier.Configuration = .init(), tools: OperatorTools = OperatorTools()
        ) {
            self.tools = tools
            self.notifications = notifications
            self.host = host
            self.port = port
            self.tokens = tokens
            self.retention = retention
            self.rollupInterval = rollupInterval
            self.levelLabelCap = levelLabelCap
        }
    }

    public let configuration: Configuration
    public let store: any ResultStore
    public let metrics: CollectorMetrics
    private let logger: Logger
    private let group: any EventLoopGroup
    private let onRunning: @Sendable (Int) async -> Void

    public init(
        configuration: Configuration, store: any ResultStore, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger? = nil, onRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.store = store
        self.metrics = CollectorMetrics()
        self.logger = logger ?? Logger(label: "pingmesh.collector")
        self.group = group
        self.onRunning = onRunning
    }

    public func run() async throws {
        let (configuration, store, metrics, logger, onRunning) = (self.configuration, self.store, self.metrics, self.logger, self.onRunning)
        try await store.prepare()
        if configuration.tokens.adminOpenToAnyone {
            logger.warning(
                "--insecure-open-admin: anyone who can reach the collector can inject faults and probe from it (use --tokens FILE)")
        }
        if configuration.tokens.isOpen {
            let admin = configuration.tokens.openAdmin ? "" : "; fault injection and manual probes are closed"
            logger.warning("no bearer tokens configured: anyone who can reach the collector can upload results (--tokens FILE)\(admin)")
        }
        let ingestor = Ingestor(store: store, metrics: metrics, logger: logger)
        let queries = ResultQueries(store: store)
        let notifier = configuration.notifications.isEmpty ? nil : IncidentNotifier(configuration: configuration.notifications, logger: logger)
        let tracer = configuration.traceroutes.map { TracerouteRequester(configuration: $0, logger: logger) }
        let analyzer = WindowAnalyzer(store: store, notifier: notifier, tracer: tracer, fabric: configuration.fabric, logger: logger)
        let app = Application(
            router: CollectorAPI.router(ingest: ingestor, queries: queries, metrics: metrics, tokens: configuration.tokens, analyzer: analyzer,
                tools: configuration.tools),
            server: .http1(tls: configuration.tls, configuration: .init(idleTimeout: .seconds(120))),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "pingmesh-collector",
                availableConnectionsDelegate: MaximumAvailableConnections(4096)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? configuration.port) },
            eventLoopGroupProvider: .shared(group), logger: logger)
        let lease = AnalysisLease(store: store, logger: logger)
        let maintenance = CollectorMaintenance(
            store: store, metrics: metrics, retention: configuration.retention, levelAggregates: LevelAggregates(cap: configuration.levelLabelCap),
            logger: logger, analyzer: analyzer, lease: lease)

        do {
            try await serve(app: app, maintenance: maintenance)
        } catch {
            await lease.release()
            await notifier?.shutdown()
            await store.close()
            throw error
        }
        await lease.release()
        await notifier?.shutdown()
        await store.close()
    }

    private func serve(app: some ApplicationProtocol, maintenance: CollectorMaintenance) async throws {
        let configuration = self.configuration
        try await withThrowingDiscardingTaskGroup { tasks in
            tasks.addTask { try await app.run() }
            if let tls = configuration.tls {
                let logger = self.logger
                tasks.addTask { await cancelWhenGracefulShutdown { await tls.watch(logger: logger) } }
            }
            tasks.addTask {
                await cancelWhenGracefulShutdown {
                    while !Task.isCancelled {
                        await maintenance.runOnce(now: Int64(Date().timeIntervalSince1970))
                        try? await Task.sleep(for: configuration.rollupInterval)
                    }
                }
            }
        }
    }
}

/// ServiceLifecycle logs each service by its description: the address only, never the
/// configuration, which holds the tokens and notification URLs.
extension Collector: CustomStringConvertible {
    public var description: String { "Collector(\(HostPort.join(configuration.host, configuration.port)))" }
}
