import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import PingmeshHTTPSupport
import PingmeshModel
import PingmeshProbe

/// The agent's HTTP listener (default port 9300): `/metrics` for Prometheus, `/ping` for other
/// agents' HTTP probes, `/healthz` for supervisors, and with `--blackbox-config` blackbox_exporter's
/// `/probe`. Connections are capped and idle ones closed.
public enum AgentHTTPServer {
    public static func makeApplication(
        host: String, port: Int, metrics: AgentMetrics, limits: ResponderLimits, defaultPingPayloadBytes: Int = 0,
        tls: ServerTLSContext? = nil, blackboxModules: [String: BlackboxModule] = [:], sourceAddress: String? = nil, group: any EventLoopGroup,
        logger: Logger, onRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition()))
            )
        }
        router.get("healthz") { _, _ in "ok\n" }
        PingRoute.add(to: router, limits: limits, defaultPayloadBytes: defaultPingPayloadBytes)
        if !blackboxModules.isEmpty {
            // Prometheus may scrape many targets through one agent at once; a cap still holds.
            let prober = ManualProbe(maximumConcurrent: 64, sourceAddress: sourceAddress)
            BlackboxProbeRoute.add(to: router, modules: blackboxModules, prober: prober)
        }
        return Application(
            router: router,
            server: .http1(tls: tls, configuration: .init(idleTimeout: .nanoseconds(limits.idleTimeout.nanoseconds))),
            configuration: .init(
                address: .hostname(host, port: port), serverName: "pingmesh-agent",
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections)
            ),
            onServerRunning: onRunning,
            eventLoopGroupProvider: .shared(group),
            logger: logger
        )
    }
}
