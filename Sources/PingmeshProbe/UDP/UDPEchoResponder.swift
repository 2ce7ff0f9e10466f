import NIOCore
import NIOPosix
import PingmeshModel

/// Answers UDP echo probes (`UDPEchoPacket`): a request becomes a reply of the same size, so the
/// responder never amplifies, and it answers nothing else, so it is no open reflector. Datagrams
/// above `ResponderLimits.maxPayloadBytes` and packets beyond `maxRepliesPerSecond` are dropped.
public struct UDPEchoResponder: Sendable {
    public let host: String
    public let port: Int
    public let limits: ResponderLimits
    /// Replies per second at most; beyond it requests are dropped (and show as loss to the prober).
    public let maxRepliesPerSecond: Int
    private let group: any EventLoopGroup

    public init(host: String, port: Int, limits: ResponderLimits = ResponderLimits(), maxRepliesPerSecond: Int = 20_000, group: any EventLoopGroup) {
        self.host = host
        self.port = port
        self.limits = limits
        self.maxRepliesPerSecond = maxRepliesPerSecond
        self.group = group
    }

    /// Binds and starts answering; close the returned channel to stop.
    public func bind() async throws -> any Channel {
        let (maxBytes, rate) = (min(limits.maxPayloadBytes, 65_507), maxRepliesPerSecond)
        return try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UDPEchoHandler(maxBytes: maxBytes, maxRepliesPerSecond: rate))
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}

/// Replies to each valid request on the event loop, timestamps taken there.
final class UDPEchoHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let maxBytes: Int
    private let maxRepliesPerSecond: Int
    private var second: UInt64 = 0
    private var repliesThisSecond = 0

    init(maxBytes: Int, maxRepliesPerSecond: Int) {
        self.maxBytes = maxBytes
        self.maxRepliesPerSecond = maxRepliesPerSecond
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let received = NIODeadline.now().uptimeNanoseconds
        var envelope = unwrapInboundIn(data)
        guard envelope.data.readableBytes <= maxBytes, let packet = UDPEchoPacket(peeking: envelope.data), packet.type == .request else { return }
        let now = received / 1_000_000_000
        if now != second { (second, repliesThisSecond) = (now, 0) }
        guard repliesThisSecond < maxRepliesPerSecond else { return }
        repliesThisSecond += 1
        UDPEchoPacket.makeReply(&envelope.data, received: received, sent: NIODeadline.now().uptimeNanoseconds)
        context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: envelope.data)), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A datagram error (e.g. an ICMP error for an earlier reply) must not close the responder.
    }
}
