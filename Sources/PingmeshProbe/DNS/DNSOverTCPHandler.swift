import NIOCore
import PingmeshModel

/// One DNS query over a fresh TCP connection (RFC 1035 4.2.2, RFC 7766): the message behind a
/// 2-byte length, and the reply read the same way. Timed on the event loop like an HTTP probe:
/// the handshake is `connectRTT`, the RTT runs from the connect to the reply's last byte.
final class DNSOverTCPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let query: [UInt8]
    private let request: ProbeRequest
    /// Turns the reply's bytes into the outcome (`DNSReplyCheck`).
    private let evaluate: @Sendable (_ reply: [UInt8], _ rtt: Duration) -> ProbeOutcome
    private let promise: EventLoopPromise<ProbeOutcome>
    private var received = ByteBuffer()
    private var connectStarted: NIODeadline?
    private var connectRTT: Duration?
    private var sourcePort: Int?
    private var deadline: Scheduled<Void>?
    private var finished = false

    init(
        query: [UInt8], request: ProbeRequest, promise: EventLoopPromise<ProbeOutcome>,
        evaluate: @escaping @Sendable (_ reply: [UInt8], _ rtt: Duration) -> ProbeOutcome
    ) {
        self.query = query
        self.request = request
        self.promise = promise
        self.evaluate = evaluate
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The bootstrap starts connecting once the handlers are in: the clock starts here.
        connectStarted = .now()
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(request.timeout.nanoseconds)) {
            let stage = self.connectRTT == nil ? "connection" : "reply"
            self.finish(context: context, ProbeOutcome(result: .timeout, detail: "no \(stage) within \(self.request.timeout)"))
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        connectRTT = connectStarted.map { .nanoseconds((now - $0).nanoseconds) }
        sourcePort = context.channel.localAddress?.port
        var buffer = context.channel.allocator.buffer(capacity: query.count + 2)
        buffer.writeInteger(UInt16(query.count))
        buffer.writeBytes(query)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        received.writeBuffer(&chunk)
        guard let length = received.getInteger(at: received.readerIndex, as: UInt16.self),
            received.readableBytes >= 2 + Int(length)
        else { return }
        let end = NIODeadline.now()
        let reply = received.getBytes(at: received.readerIndex + 2, length: Int(length)) ?? []
        let rtt = connectStarted.map { Duration.nanoseconds((end - $0).nanoseconds) } ?? .zero
        var outcome = evaluate(reply, rtt)
        outcome.connectRTT = connectRTT
        finish(context: context, outcome)
    }

    /// A reset while connecting or waiting is the server refusing: `refused`, as for TCP probes.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(context: context, ProbeOutcome(result: ErrorClassification.classify(error), detail: "\(error)"))
    }

    func channelInactive(context: ChannelHandlerContext) {
        let detail =
            received.readableBytes == 0
            ? "the server closed the connection without a reply" : "the connection closed \(received.readableBytes) bytes into the reply"
        finish(context: context, ProbeOutcome(result: .error, detail: detail))
        context.fireChannelInactive()
    }

    private func finish(context: ChannelHandlerContext, _ outcome: ProbeOutcome) {
        guard !finished else { return }
        finished = true
        deadline?.cancel()
        var outcome = outcome
        if outcome.sourcePort == nil { outcome.sourcePort = sourcePort }
        promise.succeed(outcome)
        context.close(promise: nil)
    }
}
