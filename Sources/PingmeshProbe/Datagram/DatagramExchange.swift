import NIOCore
import NIOPosix
import PingmeshModel

#if canImport(Glibc)
    import Glibc
#endif

/// One request datagram and its reply, over a connected UDP socket of its own (a fresh source
/// port per exchange, as resolvers and SNTP clients do). Connecting matters: the kernel then
/// reports an ICMP port unreachable as ECONNREFUSED, so a closed port is `refused` rather than
/// a timeout. Send and receive times are taken on the socket's event loop.
struct DatagramExchange: Sendable {
    /// What the caller makes of a datagram from the server.
    enum Verdict<Reply: Sendable>: Sendable {
        /// Not the reply (another query's id, a stray packet): keep waiting.
        case ignore
        case accept(Reply)
    }

    /// How the exchange ended.
    enum Ending<Reply: Sendable>: Sendable {
        case replied(Reply, Timing)
        /// Nothing accepted in time; `ignored` datagrams arrived that were not the reply.
        case timedOut(ignored: Int)
        case failed(ProbeResultClass, String)
    }

    struct Timing: Sendable {
        /// Send to receive, on the monotonic clock.
        var rtt: Duration
        /// The wall clock when the request left (CLOCK_REALTIME), for protocols that compare
        /// clocks (NTP); the receive time is this plus `rtt`, immune to a clock step between.
        var sentWallClock: Duration
    }

    var group: any EventLoopGroup

    /// The ending, and the local port the request left from (ECMP hashes on it, so per-port
    /// failures point at one path).
    func run<Reply: Sendable>(
        _ payload: [UInt8], to address: SocketAddress, request: ProbeRequest,
        verdict: @escaping @Sendable ([UInt8]) -> Verdict<Reply>
    ) async -> (ending: Ending<Reply>, sourcePort: Int?) {
        let channel: any Channel
        do {
            channel = try await connect(to: address, request: request)
        } catch {
            return (.failed(ErrorClassification.classify(error), "udp socket: \(error)"), nil)
        }
        defer { channel.close(promise: nil) }
        let ending = await withCheckedContinuation { (continuation: CheckedContinuation<Ending<Reply>, Never>) in
            channel.eventLoop.execute {
                let handler = DatagramExchangeHandler<Reply>(verdict: verdict, continuation: continuation)
                do {
                    try channel.pipeline.syncOperations.addHandler(handler)
                } catch {
                    handler.finish(.failed(.error, "udp socket: \(error)"))
                    return
                }
                handler.send(payload, to: address, timeout: request.timeout, channel: channel)
            }
        }
        return (ending, channel.localAddress?.port)
    }

    private func connect(to address: SocketAddress, request: ProbeRequest) async throws -> any Channel {
        var bootstrap = DatagramBootstrap(group: group)
        if let dscp = request.dscp { bootstrap = bootstrap.channelOption(DSCPOption.option(for: address), value: DSCPOption.value(dscp)) }
        guard let source = request.sourceAddress else { return try await bootstrap.connect(to: address).get() }
        // Bind first to leave from the pinglist's source address (and port, when it rotates them:
        // another probe in flight may hold that port; the connected 4-tuples still differ).
        if let port = source.port, port != 0 { bootstrap = bootstrap.channelOption(.socketOption(.so_reuseaddr), value: 1) }
        let channel = try await bootstrap.bind(to: source).get()
        do {
            try await channel.connect(to: address).get()
        } catch {
            channel.close(promise: nil)
            throw error
        }
        return channel
    }
}

/// Sends the request and waits for the accepted reply, on the event loop.
final class DatagramExchangeHandler<Reply: Sendable>: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let verdict: @Sendable ([UInt8]) -> DatagramExchange.Verdict<Reply>
    private var continuation: CheckedContinuation<DatagramExchange.Ending<Reply>, Never>?
    private var sentAt: NIODeadline?
    private var sentWallClock = Duration.zero
    private var ignored = 0
    private var timeout: Scheduled<Void>?

    init(
        verdict: @escaping @Sendable ([UInt8]) -> DatagramExchange.Verdict<Reply>,
        continuation: CheckedContinuation<DatagramExchange.Ending<Reply>, Never>
    ) {
        self.verdict = verdict
        self.continuation = continuation
    }

    func send(_ payload: [UInt8], to address: SocketAddress, timeout limit: Duration, channel: any Channel) {
        timeout = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(limit.nanoseconds))) { [self] in
            finish(.timedOut(ignored: ignored))
        }
        let promise = channel.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenFailure { [self] error in
            finish(.failed(ErrorClassification.classify(error), "udp send: \(error)"))
        }
        sentWallClock = Self.wallClock()
        sentAt = NIODeadline.now()
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: channel.allocator.buffer(bytes: payload)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let receivedAt = NIODeadline.now()
        guard let sentAt, continuation != nil else { return }
        var buffer = unwrapInboundIn(data).data
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        switch verdict(bytes) {
        case .ignore:
            ignored += 1
        case .accept(let reply):
            let rtt = Duration.nanoseconds(Int64(receivedAt.uptimeNanoseconds - sentAt.uptimeNanoseconds))
            finish(.replied(reply, .init(rtt: rtt, sentWallClock: sentWallClock)))
        }
    }

    /// A connected socket reports the server's ICMP port unreachable here, as ECONNREFUSED.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let result = ErrorClassification.classify(error)
        let detail = result == .refused ? "port unreachable (nothing listening)" : "\(error)"
        finish(.failed(result, detail))
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failed(.error, "udp socket closed"))
    }

    func finish(_ ending: DatagramExchange.Ending<Reply>) {
        guard let continuation else { return }
        self.continuation = nil
        timeout?.cancel()
        continuation.resume(returning: ending)
    }

    static func wallClock() -> Duration {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
    }
}
