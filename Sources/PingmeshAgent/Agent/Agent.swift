import Hummingbird
import Logging
import NIOCore
import NIOPosix
import PingmeshModel
import PingmeshProbe
import Prometheus
import ServiceLifecycle

/// One agent: responders that answer other agents, a scheduler that probes its pinglist, and
/// the HTTP listener with its metrics. Runs as a `Service` until graceful shutdown.
public struct Agent: Service {
    public let configuration: AgentConfiguration
    public let metrics: AgentMetrics
    private let source: any PinglistSource
    private let group: any EventLoopGroup
    private let logger: Logger
    private let onReady: @Sendable (AgentEndpoints) async -> Void
    /// Faults injected into a simulated agent (`pingmesh up`); nil on a real server.
    private let faults: FaultInjector?
    /// On-demand tasks from the controllers; nil in static mode.
    private let tasks: TaskPoller?

    public init(
        configuration: AgentConfiguration, source: any PinglistSource, tasks: TaskPoller? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger? = nil, faults: FaultInjector? = nil,
        onReady: @escaping @Sendable (AgentEndpoints) async -> Void = { _ in }
    ) {
        self.faults = faults
        self.tasks = tasks
        self.configuration = configuration
        self.source = source
        self.group = group
        var logger = logger ?? Logger(label: "pingmesh.agent")
        logger[metadataKey: "agent"] = "\(configuration.name)"
        self.logger = logger
        self.onReady = onReady
        self.metrics = AgentMetrics(
            kinds: Agent.probeKinds, perTargetHistograms: configuration.metricsPerTarget, upload: configuration.uploads)
    }

    /// The window aggregator and uploader, when the agent uploads to a collector.
    private func makeUploader() throws(ConfigError) -> ResultUploader? {
        guard configuration.uploads else { return nil }
        // A batch the collector refuses is lost: refuse to start instead.
        let issues = configuration.uploadIssues()
        guard issues.isEmpty else { throw ConfigError(file: "agent configuration", issues: issues) }
        var logger = self.logger
        logger[metadataKey: "component"] = "upload"
        let aggregator = WindowAggregator(
            configuration: .init(
                agent: configuration.name, agentVersion: configuration.version, labels: configuration.labels,
                windowSeconds: configuration.windowSeconds),
            metrics: metrics.upload)
        let spool = ResultSpool(
            directory: configuration.spoolDirectory, maximumBytes: configuration.spoolMaxBytes, metrics: metrics.upload, logger: logger)
        return ResultUploader(
            configuration: .init(
                collectors: configuration.collectors, token: configuration.uploadToken, preferredFormat: configuration.uploadFormat),
            aggregator: aggregator,
            spool: spool, metrics: metrics.upload, client: configuration.clients.upload, logger: logger)
    }

    /// The kinds this agent can probe; targets of other kinds are skipped and counted.
    public static let probeKinds: Set<ProbeKind> = [.tcp, .udp, .icmp, .http, .dns, .ntp]

    public func run() async throws {
        let configuration = self.configuration
        let tcpChannel = try await TCPResponder(
            host: configuration.tcpListen.host, port: configuration.tcpListen.port,
            limits: configuration.responderLimits, group: group
        ).bind()
        defer { tcpChannel.close(promise: nil) }
        let tcpPort = tcpChannel.localAddress?.port ?? configuration.tcpListen.port
        var udpChannel: (any Channel)?
        if let listen = configuration.udpListen {
            udpChannel = try await UDPEchoResponder(host: listen.host, port: listen.port, limits: configuration.responderLimits, group: group).bind()
        }
        defer { udpChannel?.close(promise: nil) }
        let udpPort = udpChannel?.localAddress?.port
        let udpEndpoint = configuration.udpListen.map { ListenAddress(host: $0.host, port: udpPort ?? $0.port) }

        // Before anything probes: a spool directory another agent holds is a startup error.
        let uploader = try makeUploader()
        try uploader?.start()

        // The epoll prober costs a raw loop's CPU per probe; NIO's is the portable fallback.
        let prober: any Prober = EpollTCPProber.shared ?? TCPProber(group: group)
        let udpProber = UDPProber()
        defer { Task { await udpProber.shutdown() } }
        var probers: [ProbeKind: any Prober] = [.tcp: prober, .udp: udpProber, .http: HTTPProber(group: group)]
        probers[.dns] = DNSProber(group: group)
        probers[.ntp] = NTPProber(group: group)
        // ICMP needs a ping socket or a raw one; without either, ICMP targets are skipped and
        // counted, and the log says how to allow them.
        var icmpProber: ICMPProber?
        do {
            icmpProber = try ICMPProber.make()
            probers[.icmp] = icmpProber
        } catch {
            logger.warning("ICMP targets will not be probed", metadata: ["reason": "\(error)"])
        }
        defer { icmpProber?.shutdown() }
        var recorder: any ProbeRecorder = uploader.map { CompositeRecorder([self.metrics, $0.aggregator]) } ?? self.metrics
        if let faults {
            probers = probers.mapValues { faults.prober($0, agent: configuration.name) }
            recorder = SilencedRecorder(inner: recorder, agent: configuration.name, injector: faults)
        }
        let scheduler = ProbeScheduler(
            clock: ContinuousClock(), probers: probers, recorder: recorder, observer: self.metrics,
            defaultSourceAddress: configuration.probeSourceAddress, logger: logger
        )
        let resolver = TargetResolver(supportedKinds: scheduler.supportedKinds)
        let names = NameRefresh(interval: configuration.nameRefreshInterval)
        let (name, onReady, logger, metrics, source) = (configuration.name, self.onReady, self.logger, self.metrics, self.source)

        let app = AgentHTTPServer.makeApplication(
            host: configuration.httpListen.host, port: configuration.httpListen.port, metrics: metrics,
            limits: configuration.responderLimits, tls: configuration.tls, blackboxModules: configuration.blackboxModules,
            sourceAddress: configuration.probeSourceAddress, group: group, logger: logger
        ) { channel in
            let httpPort = channel.localAddress?.port ?? configuration.httpListen.port
            await onReady(
                AgentEndpoints(
                    name: name, http: ListenAddress(host: configuration.httpListen.host, port: httpPort),
                    tcp: ListenAddress(host: configuration.tcpListen.host, port: tcpPort), udp: udpEndpoint
                )
            )
        }

        // Finishes when the scheduler has returned: every probe in flight has been recorded.
        let (probesStopped, stopProbes) = AsyncStream.makeStream(of: Void.self)
        try await withThrowingDiscardingTaskGroup { tasks in
            tasks.addTask { try await app.run() }
            if let tls = configuration.tls { tasks.addTask { await cancelWhenGracefulShutdown { await tls.watch(logger: logger) } } }
            tasks.addTask {
                await cancelWhenGracefulShutdown { await scheduler.run() }
                stopProbes.finish()
            }
            if let uploader {
                tasks.addTask {
                    await cancelWhenGracefulShutdown { await uploader.deliver() }
                    // Shutdown: the last answers go into the last windows, all of which are spooled.
                    for await _ in probesStopped {}
                    await uploader.finish()
                }
            }
            tasks.addTask {
                // Shutdown cancels the source; that is its normal end, not a failure of the agent.
                do {
                    try await cancelWhenGracefulShutdown {
                        try await source.run(metrics: metrics) { pinglist in
                            let resolved = await resolver.resolve(pinglist)
                            metrics.namesResolved(resolved)
                            for (target, reason) in resolved.skipped {
                                logger.warning("target not probed", metadata: ["target": "\(target.id)", "reason": "\(reason)"])
                            }
                            for target in resolved.unresolved {
                                logger.warning(
                                    "target name has no address; recorded as unresolved each round",
                                    metadata: ["target": "\(target.id)", "reason": "\(target.unresolvedReason ?? "")"])
                            }
                            names.loaded(resolved)
                            metrics.pinglistLoaded(version: pinglist.version)
                            uploader?.aggregator.pinglistLoaded(
                                version: pinglist.version, longestTimeout: pinglist.targets.map(\.timeout).max())
                            scheduler.update(resolved)
                        }
                        // A source that delivers once (a fixed list) returns; stay up until shutdown.
                        try await gracefulShutdown()
                    }
                } catch is CancellationError {
                    return
                }
            }
            tasks.addTask {
                await cancelWhenGracefulShutdown {
                    await names.run(resolve: { pinglist in
                        let resolved = await resolver.resolve(pinglist)
                        metrics.namesResolved(resolved)
                        return resolved
                    }) { resolved in
                        logger.info("target addresses changed", metadata: ["targets": "\(resolved.targets.count)"])
                        scheduler.update(resolved)
                    }
                }
            }
            if let poller = self.tasks {
                let (version, uploads) = (configuration.version, configuration.uploads)
                tasks.addTask {
                    await cancelWhenGracefulShutdown {
                        await poller.run(heartbeat: { metrics.health.heartbeat(version: version, uploads: uploads) })
                    }
                }
            }
            tasks.addTask {
                try? await gracefulShutdown()
                tcpChannel.close(promise: nil)
            }
        }
    }
}

/// ServiceLifecycle logs each service by its description: the agent's name only, never the
/// configuration, which holds the upload token.
extension Agent: CustomStringConvertible {
    public var description: String { "Agent(\(configuration.name))" }
}
