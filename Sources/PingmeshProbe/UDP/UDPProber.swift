import NIOCore
import NIOPosix
import PingmeshModel
import Synchronization

/// UDP echo probes (`UDPEchoPacket`) through one shared socket per local address, replies matched
/// by prober id and sequence number. A socket per target would wake every socket for every reply;
/// one socket and a table of pending probes costs one wake-up per reply however many targets.
/// Send and receive times are taken on the socket's event loop. A reply that never comes is a
/// timeout: an unconnected socket does not see ICMP port-unreachable, so a closed port is loss.
public final class UDPProber: Prober, Sendable {
    public let kind = ProbeKind.udp
    private let group: any EventLoopGroup
    /// Tells this prober's replies from another's arriving at the same port (e.g. after a restart).
    private let proberID = UInt32.random(in: 1...UInt32.max)
    private let sequence = Atomic<UInt64>(0)
    private let sockets = Mutex<[String: EventLoopFuture<UDPProbeSocket>]>([:])

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    public func probe(_ request: ProbeRequest) async -> ProbeOutcome {
        guard request.payloadBytes <= 65_507 - UDPEchoPacket.headerBytes else {
            return ProbeOutcome(result: .error, detail: "payload of \(request.payloadBytes) bytes does not fit a UDP datagram")
        }
        let socket: UDPProbeSocket
        do {
            socket = try await self.socket(for: request).get()
        } catch {
            return ProbeOutcome(result: ErrorClassification.classify(error), detail: "udp socket: \(error)")
        }
        let number = sequence.wrappingAdd(1, ordering: .relaxed).newValue
        return await withCheckedContinuation { continuation in
            socket.send(request, proberID: proberID, sequence: number, continuation: continuation)
        }
    }

    /// Closes the sockets; probes in flight end as errors.
    public func shutdown() async {
        let all = sockets.withLock { sockets in
            defer { sockets.removeAll() }
            return Array(sockets.values)
        }
        for future in all { try? await future.get().channel.close() }
    }

    /// The shared socket for the request's local address (the wildcard of its family by default)
    /// and source port: a kernel-chosen one, or one of the pinglist's rotation (ECMP paths), each
    /// its own socket.
    private func socket(for request: ProbeRequest) -> EventLoopFuture<UDPProbeSocket> {
        let bindAddress: SocketAddress
        do {
            if let source = request.sourceAddress {
                bindAddress = try SocketAddress(ipAddress: source.ipAddress ?? "", port: source.port ?? 0)
            } else {
                bindAddress = try SocketAddress(ipAddress: request.address.protocol == .inet6 ? "::" : "0.0.0.0", port: 0)
            }
        } catch {
            return group.next().makeFailedFuture(error)
        }
        // One socket per DSCP too: the marking is the socket's.
        let key = "\(bindAddress.ipAddress ?? "?") \(bindAddress.port ?? 0) \(request.dscp ?? -1)"
        let (future, isNew) = sockets.withLock { sockets in
            if let existing = sockets[key] { return (existing, false) }
            let made = UDPProbeSocket.bind(to: bindAddress, dscp: request.dscp, group: group)
            sockets[key] = made
            return (made, true)
        }
        // A socket that failed to bind is not kept: the next probe tries again. (Registered
        // outside the lock: a callback may run at once.)
        if isNew { future.whenFailure { [weak self] _ in _ = self?.sockets.withLock { $0.removeValue(forKey: key) } } }
        return future
    }
}

/// One bound socket and its pending probes. The table is touched only on the channel's event
/// loop, which is what makes the class safe to share.
final class UDPProbeSocket: @unchecked Sendable {
    let channel: any Channel
    private let handler: UDPProbeHandler

    private init(channel: any Channel, handler: UDPProbeHandler) {
        self.channel = channel
        self.handler = handler
    }

    static func bind(to address: SocketAddress, dscp: Int? = nil, group: any EventLoopGroup) -> EventLoopFuture<UDPProbeSocket> {
        let handler = UDPProbeHandler()
        var bootstrap = DatagramBootstrap(group: group)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
        if let dscp { bootstrap = bootstrap.channelOption(DSCPOption.option(for: address), value: DSCPOption.value(dscp)) }
        return bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            .bind(to: address)
            .map { UDPProbeSocket(channel: $0, handler: handler) }
    }

    func send(_ request: ProbeRequest, proberID: UInt32, sequence: UInt64, continuation: CheckedContinuation<ProbeOutcome, Never>) {
        channel.eventLoop.execute { [channel, handler] in
            handler.send(request, proberID: proberID, sequence: sequence, channel: channel, continuation: continuation)
        }
    }
}

/// Sends requests and matches replies, on the event loop.
final class UDPProbeHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private struct Pending {
        var continuation: CheckedContinuation<ProbeOutcome, Never>
        var sentAt: NIODeadline
        var delay: Duration
        var proberID: UInt32
        var timeout: Scheduled<Void>?
    }

    private var pending: [UInt64: Pending] = [:]

    func send(
        _ request: ProbeRequest, proberID: UInt32, sequence: UInt64, channel: any Channel, continuation: CheckedContinuation<ProbeOutcome, Never>
    ) {
        let loop = channel.eventLoop
        var buffer = channel.allocator.buffer(capacity: UDPEchoPacket.headerBytes + request.payloadBytes)
        let sentAt = NIODeadline.now()
        UDPEchoPacket(type: .request, proberID: proberID, sequence: sequence, sentNanoseconds: sentAt.uptimeNanoseconds)
            .write(to: &buffer, totalBytes: UDPEchoPacket.headerBytes + request.payloadBytes)
        var entry = Pending(continuation: continuation, sentAt: sentAt, delay: request.delay, proberID: proberID)
        entry.timeout = loop.scheduleTask(in: .nanoseconds(Int64(request.timeout.nanoseconds))) { [self] in
            finish(sequence, ProbeOutcome(result: .timeout, detail: "no echo within \(request.timeout)"))
        }
        pending[sequence] = entry
        let promise = loop.makePromise(of: Void.self)
        promise.futureResult.whenFailure { [self] error in
            finish(sequence, ProbeOutcome(result: ErrorClassification.classify(error), detail: "udp send: \(error)"))
        }
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: request.address, data: buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let receivedAt = NIODeadline.now()
        let envelope = unwrapInboundIn(data)
        guard let packet = UDPEchoPacket(peeking: envelope.data), packet.type == .reply,
            let entry = pending[packet.sequence], entry.proberID == packet.proberID,
            packet.sentNanoseconds == entry.sentAt.uptimeNanoseconds
        else { return }
        let rtt = Duration.nanoseconds(Int64(receivedAt.uptimeNanoseconds - entry.sentAt.uptimeNanoseconds))
        var outcome = ProbeOutcome.answered(rtt: rtt, delay: entry.delay)
        if packet.responderSentNanoseconds >= packet.responderReceivedNanoseconds {
            outcome.responderDwell = .nanoseconds(Int64(packet.responderSentNanoseconds - packet.responderReceivedNanoseconds))
        }
        finish(packet.sequence, outcome)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Datagram errors (ICMP reports for earlier packets) must not close the shared socket.
    }

    func channelInactive(context: ChannelHandlerContext) {
        for sequence in Array(pending.keys) { finish(sequence, ProbeOutcome(result: .error, detail: "udp socket closed")) }
    }

    /// The port probes leave from, reported with each outcome: per-port loss buckets tell ECMP
    /// paths apart.
    private var localPort: Int?

    func channelActive(context: ChannelHandlerContext) {
        localPort = context.channel.localAddress?.port
        context.fireChannelActive()
    }

    private func finish(_ sequence: UInt64, _ outcome: ProbeOutcome) {
        guard let entry = pending.removeValue(forKey: sequence) else { return }
        entry.timeout?.cancel()
        var outcome = outcome
        outcome.sourcePort = localPort
        entry.continuation.resume(returning: outcome)
    }
}
