import NIOCore

/// Echoes what a prober sends, up to a byte cap; closes connections that exceed the cap or idle.
final class TCPEchoHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let maxPayloadBytes: Int
    private var received = 0

    init(maxPayloadBytes: Int) {
        self.maxPayloadBytes = maxPayloadBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        received += buffer.readableBytes
        guard received <= maxPayloadBytes else {
            context.close(promise: nil)
            return
        }
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A prober's RST is the normal end of a probe, not something to report.
        context.close(promise: nil)
    }
}
