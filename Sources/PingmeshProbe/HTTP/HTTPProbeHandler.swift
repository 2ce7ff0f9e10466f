import NIOCore
import NIOHTTP1
import PingmeshModel

/// The phases of one HTTP probe, named as blackbox_exporter names them (resolve is the
/// resolver's, before the probe): connect (the TCP handshake), processing (request sent to the
/// response's first byte) and transfer (first byte to the end of the body).
public struct HTTPPhases: Sendable, Equatable {
    public var connect: Duration?
    public var processing: Duration?
    public var transfer: Duration?
    public var status: Int?
    public var bodyBytes: Int
}

/// One HTTP/1.1 GET over a fresh connection, timed phase by phase on the event loop. Any status
/// outside 200-399 is an error that names the status; a connection that ends before the response
/// does is an error; no response within the timeout is a timeout.
final class HTTPProbeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private let request: ProbeRequest
    private let path: String
    private let host: String
    private let promise: EventLoopPromise<ProbeOutcome>
    private var connectStarted: NIODeadline?
    private var connected: NIODeadline?
    private var requestSent: NIODeadline?
    private var firstByte: NIODeadline?
    private var phases = HTTPPhases(bodyBytes: 0)
    private var sourcePort: Int?
    private var finished = false
    private var deadline: Scheduled<Void>?

    init(request: ProbeRequest, path: String, host: String, promise: EventLoopPromise<ProbeOutcome>) {
        self.request = request
        self.path = path
        self.host = host
        self.promise = promise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(request.timeout.nanoseconds)) {
            let stage = self.connected == nil ? "connect" : self.firstByte == nil ? "response" : "body"
            self.finish(context: context, ProbeOutcome(result: .timeout, detail: "no \(stage) within \(self.request.timeout)"))
        }
    }

    func connect(context: ChannelHandlerContext, to address: SocketAddress, promise: EventLoopPromise<Void>?) {
        connectStarted = .now()
        let done = context.eventLoop.makePromise(of: Void.self)
        done.futureResult.assumeIsolated().whenComplete { result in
            if case .failure(let error) = result {
                self.finish(context: context, ProbeOutcome(result: ErrorClassification.classify(error), detail: "\(error)"))
            }
            promise?.completeWith(result)
        }
        context.connect(to: address, promise: done)
        if let port = context.channel.localAddress?.port, port > 0 { sourcePort = port }
    }

    func channelActive(context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        connected = now
        phases.connect = Self.duration(from: connectStarted, to: now)
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: host)
        head.headers.add(name: "User-Agent", value: "pingmesh")
        head.headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        requestSent = .now()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            firstByte = .now()
            phases.status = Int(head.status.code)
            phases.processing = Self.duration(from: requestSent, to: firstByte!)
        case .body(let body):
            phases.bodyBytes += body.readableBytes
        case .end:
            let end = NIODeadline.now()
            phases.transfer = Self.duration(from: firstByte, to: end)
            let total = Self.duration(from: connectStarted, to: end) ?? .zero
            var outcome: ProbeOutcome
            if let status = phases.status, (200..<400).contains(status) {
                outcome = .answered(rtt: total, connectRTT: phases.connect, delay: request.delay)
            } else {
                outcome = ProbeOutcome(result: .error, rtt: total, connectRTT: phases.connect, detail: "HTTP status \(phases.status ?? 0)")
            }
            outcome.sourcePort = sourcePort
            finish(context: context, outcome)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(context: context, ProbeOutcome(result: ErrorClassification.classify(error), detail: "\(error)"))
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context: context, ProbeOutcome(result: .error, detail: "the connection closed before the response ended"))
        context.fireChannelInactive()
    }

    private func finish(context: ChannelHandlerContext, _ outcome: ProbeOutcome) {
        guard !finished else { return }
        finished = true
        deadline?.cancel()
        var outcome = outcome
        outcome.httpPhases = phases
        if outcome.sourcePort == nil { outcome.sourcePort = sourcePort }
        promise.succeed(outcome)
        context.close(promise: nil)
    }

    private static func duration(from start: NIODeadline?, to end: NIODeadline) -> Duration? {
        start.map { .nanoseconds((end - $0).nanoseconds) }
    }
}
