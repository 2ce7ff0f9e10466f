import NIOCore
import NIOHTTP1
import NIOPosix
import PingmeshModel

/// HTTP probes: a GET of a Pingmesh agent's `/ping` (with `?size=N` for a payload of N bytes)
/// over a fresh connection each time, so the handshake is measured like a TCP probe's, timed by
/// phase (`HTTPPhases`). The RTT is the whole exchange, connect to the last byte.
public struct HTTPProber: Prober {
    public let kind = ProbeKind.http
    private let group: any EventLoopGroup

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    public func probe(_ request: ProbeRequest) async -> ProbeOutcome {
        (try? await start(request).get()) ?? ProbeOutcome(result: .error, detail: "probe future failed")
    }

    /// The path asked for: the agents' `/ping`, sized by the payload.
    static func path(for request: ProbeRequest) -> String { request.payloadBytes > 0 ? "/ping?size=\(request.payloadBytes)" : "/ping" }

    func start(_ request: ProbeRequest) -> EventLoopFuture<ProbeOutcome> {
        let loop = group.next()
        let promise = loop.makePromise(of: ProbeOutcome.self)
        let host = request.address.ipAddress.map { request.address.protocol == .inet6 ? "[\($0)]" : $0 } ?? "localhost"
        let hostHeader = "\(host):\(request.address.port ?? 80)"
        var bootstrap = ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.nanoseconds(request.timeout.nanoseconds))
            .channelInitializer { channel in
                do {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        HTTPProbeHandler(request: request, path: Self.path(for: request), host: hostHeader, promise: promise))
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
                // SO_LINGER 0: the close after the probe sends an RST, so probes leave no TIME_WAIT.
                guard let options = channel as? any SocketOptionProvider else { return channel.eventLoop.makeSucceededVoidFuture() }
                return options.setSoLinger(linger(l_onoff: 1, l_linger: 0))
            }
        if let dscp = request.dscp {
            bootstrap = bootstrap.channelOption(DSCPOption.option(for: request.address), value: DSCPOption.value(dscp))
        }
        if let source = request.sourceAddress {
            if let port = source.port, port != 0 { bootstrap = bootstrap.channelOption(.socketOption(.so_reuseaddr), value: 1) }
            bootstrap = bootstrap.bind(to: source)
        }
        bootstrap.connect(to: request.address).whenFailure { error in
            promise.succeed(ProbeOutcome(result: ErrorClassification.classify(error), detail: "\(error)"))
        }
        return promise.futureResult
    }
}
