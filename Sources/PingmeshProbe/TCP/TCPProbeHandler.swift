import NIOCore
import PingmeshModel

/// Times one TCP probe on the event loop: the clock is read when the connect leaves the
/// pipeline and when the channel becomes active (the SYN-ACK arrived), with no async hop between.
/// In payload mode it then sends the payload and times the full echo.
final class TCPProbeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let request: ProbeRequest
    private let promise: EventLoopPromise<ProbeOutcome>
    private var connectStarted: NIODeadline?
    private var connectRTT: Duration?
    /// Known once the connect has left: the kernel picks the port when the SYN is sent.
    private var sourcePort: Int?
    private var payloadSent: NIODeadline?
    private var echoed = 0
    private var finished = false
    private var deadline: Scheduled<Void>?

    init(request: ProbeRequest, promise: EventLoopPromise<ProbeOutcome>) {
        self.request = request
        self.promise = promise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The deadline covers the whole probe, handshake and echo alike.
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(request.timeout.nanoseconds)) {
            self.timedOut(context: context)
        }
    }

    func connect(context: ChannelHandlerContext, to address: SocketAddress, promise: EventLoopPromise<Void>?) {
        connectStarted = .now()
        // The connect's own promise, so a failed connect is classified here, with its source port,
        // before the bootstrap's failure path sees it.
        let connected = context.eventLoop.makePromise(of: Void.self)
        connected.futureResult.assumeIsolated().whenComplete { result in
            if case .failure(let error) = result {
                self.finish(context: context, outcome: ProbeOutcome(result: ErrorClassification.classify(error), detail: "\(error)"))
            }
            promise?.completeWith(result)
        }
        context.connect(to: address, promise: connected)
        // NIO caches the local address as soon as the non-blocking connect has started.
        if let port = context.channel.localAddress?.port, port > 0 { sourcePort = port }
    }

    func channelActive(context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        let rtt = Duration.nanoseconds((now - (connectStarted ?? now)).nanoseconds)
        connectRTT = rtt
        guard request.payloadBytes > 0 else {
            finish(context: context, outcome: .answered(rtt: rtt, connectRTT: rtt, delay: request.delay))
            return
        }
        var payload = context.channel.allocator.buffer(capacity: request.payloadBytes)
        payload.writeRepeatingByte(UInt8(ascii: "p"), count: request.payloadBytes)
        payloadSent = .now()
        context.writeAndFlush(wrapOutboundOut(payload), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        echoed += unwrapInboundIn(data).readableBytes
        guard echoed >= request.payloadBytes, let sent = payloadSent else { return }
        let rtt = Duration.nanoseconds((NIODeadline.now() - sent).nanoseconds)
        let outcome: ProbeOutcome =
            echoed == request.payloadBytes
            ? .answered(rtt: rtt, connectRTT: connectRTT, delay: request.delay)
            : ProbeOutcome(result: .error, connectRTT: connectRTT, detail: "echo returned \(echoed) bytes, sent \(request.payloadBytes)")
        finish(context: context, outcome: outcome)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished, connectRTT != nil {
            finish(
                context: context,
                outcome: ProbeOutcome(
                    result: .error, connectRTT: connectRTT,
                    detail: "closed by the peer after \(echoed) of \(request.payloadBytes) echoed bytes")
            )
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // After the handshake a reset is the peer dropping the payload, not a refusal.
        let result = connectRTT == nil ? ErrorClassification.classify(error) : .error
        finish(context: context, outcome: ProbeOutcome(result: result, connectRTT: connectRTT, detail: "\(error)"))
    }

    private func timedOut(context: ChannelHandlerContext) {
        let phase = connectRTT == nil ? "connect" : "payload echo"
        finish(
            context: context,
            outcome: ProbeOutcome(result: .timeout, connectRTT: connectRTT, detail: "no \(phase) within \(request.timeout)"))
    }

    private func finish(context: ChannelHandlerContext, outcome: ProbeOutcome) {
        guard !finished else { return }
        finished = true
        deadline?.cancel()
        var outcome = outcome
        outcome.sourcePort = sourcePort
        promise.succeed(outcome)
        // SO_LINGER 0 makes this close send an RST: no TIME_WAIT left behind for each probe.
        context.close(promise: nil)
    }
}
