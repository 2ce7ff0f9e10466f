import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOTLS
import PingmeshModel

/// One HTTP/1.1 exchange over a fresh connection, timed phase by phase on the event loop: the
/// request goes out when the connection (and, for HTTPS, the TLS handshake) is up, the response
/// is judged by `HTTPResponseValidator`. A connection that ends before the response does is an
/// error; no response within the timeout is a timeout.
final class HTTPProbeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private let request: ProbeRequest
    private let plan: HTTPRequestPlan
    private let validator: HTTPResponseValidator
    /// The name the certificate must hold, for messages; nil checks the target's address.
    private let tlsExpectedName: String?
    private let usesTLS: Bool
    private let promise: EventLoopPromise<ProbeOutcome>
    private var connectStarted: NIODeadline?
    private var connected: NIODeadline?
    private var handshakeDone: NIODeadline?
    private var requestSent: NIODeadline?
    private var firstByte: NIODeadline?
    private var phases = HTTPPhases()
    /// The body so far, kept only when a pattern must read it, and never past the size limit.
    private var body: ByteBuffer?
    private var sourcePort: Int?
    private var finished = false
    private var deadline: Scheduled<Void>?

    init(request: ProbeRequest, plan: HTTPRequestPlan, tlsExpectedName: String?, promise: EventLoopPromise<ProbeOutcome>) {
        self.request = request
        self.plan = plan
        self.validator = HTTPResponseValidator(request.http ?? HTTPProbeOptions())
        self.tlsExpectedName = tlsExpectedName
        self.usesTLS = request.http?.tls != nil
        self.promise = promise
        phases.resolve = request.resolveTime
    }

    func handlerAdded(context: ChannelHandlerContext) {
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(request.timeout.nanoseconds)) {
            self.finish(context: context, ProbeOutcome(result: .timeout, detail: "no \(self.stage) within \(self.request.timeout)"))
        }
    }

    /// What the probe was waiting for, for a timeout's detail.
    private var stage: String {
        if connected == nil { return "connect" }
        if usesTLS && handshakeDone == nil { return "tls handshake" }
        return firstByte == nil ? "response" : "body"
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
        // The TLS handler ahead of this one started its handshake on the same event; the
        // request waits for it, so processing times the server, not the handshake.
        if !usesTLS { sendRequest(context: context) }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent, handshakeDone == nil {
            let now = NIODeadline.now()
            handshakeDone = now
            phases.tls = Self.duration(from: connected, to: now)
            phases.certificateNotAfter = peerCertificate(context: context).map(Self.notAfter)
            sendRequest(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func sendRequest(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(plan.head)), promise: nil)
        if let body = plan.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        requestSent = .now()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            firstByte = .now()
            phases.status = Int(head.status.code)
            phases.processing = Self.duration(from: requestSent, to: firstByte!)
        case .body(var chunk):
            phases.bodyBytes += chunk.readableBytes
            guard phases.bodyBytes <= validator.bodySizeLimit else {
                phases.failure = .bodyTooLarge
                finish(
                    context: context,
                    ProbeOutcome(
                        result: .error, connectRTT: phases.connect, detail: "body above the limit of \(validator.bodySizeLimit) bytes"))
                return
            }
            if validator.needsBody {
                if body == nil { body = context.channel.allocator.buffer(capacity: chunk.readableBytes) }
                body!.writeBuffer(&chunk)
            }
        case .end:
            let end = NIODeadline.now()
            phases.transfer = Self.duration(from: firstByte, to: end)
            let total = Self.duration(from: connectStarted, to: end) ?? .zero
            var outcome: ProbeOutcome
            if let failed = validator.validate(status: phases.status ?? 0, body: body) {
                phases.failure = failed.failure
                outcome = ProbeOutcome(result: .error, rtt: total, connectRTT: phases.connect, detail: failed.detail)
            } else {
                outcome = .answered(rtt: total, connectRTT: phases.connect, delay: request.delay)
            }
            finish(context: context, outcome)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if usesTLS, connected != nil, handshakeDone == nil {
            let (failure, detail) = TLSFailureDiagnosis.diagnose(
                error, peerCertificate: peerCertificate(context: context), expectedName: tlsExpectedName)
            phases.failure = failure
            phases.certificateNotAfter = peerCertificate(context: context).map(Self.notAfter)
            finish(context: context, ProbeOutcome(result: .error, connectRTT: phases.connect, detail: detail))
            return
        }
        // A server that frames its body by closing the connection may skip TLS's close_notify;
        // the decoder ends the response when the channel goes inactive, which is the real end.
        if let sslError = error as? NIOSSLError, case .uncleanShutdown = sslError, firstByte != nil { return }
        finish(context: context, ProbeOutcome(result: ErrorClassification.classify(error), connectRTT: phases.connect, detail: "\(error)"))
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(
            context: context,
            ProbeOutcome(result: .error, connectRTT: phases.connect, detail: "the connection closed before the response ended"))
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

    /// The certificate the server presented; still there after a failed verification.
    private func peerCertificate(context: ChannelHandlerContext) -> NIOSSLCertificate? {
        (try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self))?.peerCertificate
    }

    private static func notAfter(_ certificate: NIOSSLCertificate) -> Date {
        Date(timeIntervalSince1970: TimeInterval(certificate.notValidAfter))
    }

    private static func duration(from start: NIODeadline?, to end: NIODeadline) -> Duration? {
        start.map { .nanoseconds((end - $0).nanoseconds) }
    }
}
