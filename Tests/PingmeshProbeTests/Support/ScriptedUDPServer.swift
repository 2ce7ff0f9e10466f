import NIOCore
import NIOPosix

/// A UDP socket on loopback that answers each datagram with whatever `reply` makes of it (nil:
/// stays silent), for replies no real server sends: garbage, kiss-o'-death, a foreign origin.
final class ScriptedUDPServer: Sendable {
    let channel: any Channel
    let address: SocketAddress

    private init(channel: any Channel, address: SocketAddress) {
        self.channel = channel
        self.address = address
    }

    static func start(host: String = "127.0.0.1", reply: @escaping @Sendable ([UInt8]) -> [UInt8]?) async throws -> ScriptedUDPServer {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Handler(reply: reply)) }
            }
            .bind(host: host, port: 0).get()
        let port = channel.localAddress?.port ?? 0
        return ScriptedUDPServer(channel: channel, address: try SocketAddress(ipAddress: host, port: port))
    }

    func stop() async { try? await channel.close() }

    private final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        let reply: @Sendable ([UInt8]) -> [UInt8]?

        init(reply: @escaping @Sendable ([UInt8]) -> [UInt8]?) { self.reply = reply }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard let answer = reply(Array(envelope.data.readableBytesView)) else { return }
            context.writeAndFlush(
                wrapOutboundOut(
                    AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: context.channel.allocator.buffer(bytes: answer))),
                promise: nil)
        }
    }
}

/// Loopback ports for the tests that need one nobody listens on, or a listener that never answers.
enum LoopbackPorts {
    /// A port that was free a moment ago: bound and closed again, so nothing listens on it.
    static func unused(host: String = "127.0.0.1") async throws -> Int {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: host, port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }

    /// A TCP listener that accepts connections and never writes: a server that hangs.
    static func silentTCPListener(host: String = "127.0.0.1") async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: 0).get()
    }
}
