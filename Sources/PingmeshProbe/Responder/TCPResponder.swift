import HummingbirdCore
import NIOCore
import NIOPosix
import PingmeshModel

/// Answers TCP probes: accepts every connection (the handshake is the measurement) and echoes
/// payloads for payload-mode probes, within `ResponderLimits`.
public struct TCPResponder: Sendable {
    public let host: String
    public let port: Int
    public let limits: ResponderLimits
    private let group: any EventLoopGroup

    public init(host: String, port: Int, limits: ResponderLimits = ResponderLimits(), group: any EventLoopGroup) {
        self.host = host
        self.port = port
        self.limits = limits
        self.group = group
    }

    /// Binds and starts answering; the returned channel's `localAddress` gives the real port when
    /// `port` was 0. Close the channel to stop.
    public func bind() async throws -> any Channel {
        let limits = self.limits
        let idle = TimeAmount.nanoseconds(limits.idleTimeout.nanoseconds)
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // One accept per read, so the connection cap is exact rather than overshot by a batch.
            .serverChannelOption(.maxMessagesPerRead, value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        AvailableConnectionsChannelHandler(maxConnections: limits.maxConnections)
                    )
                }
            }
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        IdleStateHandler(readTimeout: idle),
                        TCPEchoHandler(maxPayloadBytes: limits.maxPayloadBytes),
                    ])
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}
