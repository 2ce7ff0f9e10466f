import CPingmeshLinux
import Foundation
import NIOCore
import PingmeshModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// UDP echo probes (`UDPEchoPacket`) through one shared socket per local address, source port and
/// DSCP, replies matched by prober id and sequence number. A socket per target would wake every
/// socket for every reply; one socket and a table of pending probes costs one wake-up per reply
/// however many targets. One thread waits on all sockets (epoll), reads replies and expires
/// probes at their deadlines. The RTT runs from right before `sendto` to the kernel's receive
/// timestamp of the reply (`KernelReceiveTime`), or to the read where the kernel gives none.
/// A reply that never comes is a timeout: an unconnected socket does not see ICMP port
/// unreachable, so a closed port is loss.
public final class UDPProber: Prober, Sendable {
    public let kind = ProbeKind.udp
    /// Tells this prober's replies from another's arriving at the same port (e.g. after a restart).
    private let proberID = UInt32.random(in: 1...UInt32.max)
    private let epoll: Int32
    /// Runs the tasks that prefer it on the reader thread (`ReaderThreadExecutor`).
    private let executor = ReaderThreadExecutor()
    public var preferredExecutor: (any TaskExecutor)? { executor }
    private let state = Mutex(State())
    /// The reader thread's receive slots, lengths and stamps; only that thread touches them. A
    /// reply is read only as far as its header: the padding after it says nothing.
    private static let batch = 32
    private static let slotBytes = 64
    private nonisolated(unsafe) let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: batch * slotBytes, alignment: 8)
    private nonisolated(unsafe) let receiveLengths = UnsafeMutablePointer<Int32>.allocate(capacity: batch)
    private nonisolated(unsafe) let receiveStamps = UnsafeMutablePointer<Int64>.allocate(capacity: batch)
    /// The reader thread's epoll event arrays; only that thread touches them.
    private nonisolated(unsafe) let readyKeys = UnsafeMutablePointer<UInt64>.allocate(capacity: 64)
    private nonisolated(unsafe) let readyEvents = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)

    private struct Socket: Sendable {
        var fd: Int32
        var localPort: Int?
    }

    private struct Pending {
        var continuation: UnsafeContinuation<ProbeOutcome, Never>
        var sentAt: KernelReceiveTime
        var deadline: Int64
        var timeout: Duration
        var delay: Duration
        var sourcePort: Int?
    }

    /// What makes probes share a socket. Hashed per probe, so no text is built for it.
    private struct SocketKey: Hashable {
        var inet6: Bool
        var source: SocketAddress?
        var dscp: Int?
    }

    private struct State {
        var sockets: [SocketKey: Socket] = [:]
        var pending: [UInt64: Pending] = [:]
        var sequence: UInt64 = 0
        var readerStarted = false
        var stopped = false
    }

    public init() {
        epoll = pm_epoll_create()
        if epoll >= 0, executor.wakeup >= 0 { _ = pm_epoll_add(epoll, executor.wakeup, PM_EPOLLIN, Self.wakeupKey) }
    }

    /// The epoll key of the executor's wake-up; a socket's key is its descriptor.
    private static let wakeupKey = UInt64.max

    deinit {
        for socket in state.withLock({ $0.sockets.values }) { close(socket.fd) }
        if epoll >= 0 { close(epoll) }
        receiveBuffer.deallocate()
        receiveLengths.deallocate()
        receiveStamps.deallocate()
        readyKeys.deallocate()
        readyEvents.deallocate()
    }

    /// Stops the reader; probes in flight end as errors and later probes fail at once.
    public func shutdown() async {
        let waiting = state.withLock { state in
            state.stopped = true
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for entry in waiting { entry.continuation.resume(returning: ProbeOutcome(result: .error, detail: "udp prober shut down")) }
        // Wakes the reader to see the stop and hand its queued jobs to the global executor.
        _ = pm_eventfd_signal(executor.wakeup)
    }

    public func probe(_ request: ProbeRequest) async -> ProbeOutcome {
        let totalBytes = UDPEchoPacket.headerBytes + request.payloadBytes
        guard totalBytes <= 65_507 else {
            return ProbeOutcome(result: .error, detail: "payload of \(request.payloadBytes) bytes does not fit a UDP datagram")
        }
        let key = SocketKey(inet6: request.address.protocol == .inet6, source: request.sourceAddress, dscp: request.dscp)
        // Built before the send time is read; only the sequence and the time are filled in after.
        var packet = UDPEchoPacket(type: .request, proberID: proberID, sequence: 0, sentNanoseconds: 0).bytes(totalBytes: totalBytes)
        return await withUnsafeContinuation { continuation in
            var entered: Entry = .noSocket
            // Once its socket exists a probe takes the table's lock once: to find the socket and
            // enter itself. The first probe for a socket makes it, outside the lock, and tries again.
            for _ in 0..<2 {
                entered = enter(key, continuation: continuation, request: request)
                guard case .noSocket = entered else { break }
                do throws(SocketError) {
                    try makeSocket(key, for: request)
                } catch {
                    continuation.resume(returning: ProbeOutcome(result: ErrorClassification.classify(errno: error.code), detail: "udp socket: \(error)"))
                    return
                }
            }
            guard case .entered(let sequence, let sentAt, let socket) = entered else {
                continuation.resume(returning: ProbeOutcome(result: .error, detail: "udp prober shut down"))
                return
            }
            UDPEchoPacket.stamp(&packet, sequence: sequence, sentNanoseconds: UInt64(sentAt.sentMonotonic))
            let result = packet.withUnsafeBytes { bytes in
                request.address.withSockAddr { address, length in
                    pm_udp_send(socket.fd, bytes.baseAddress, Int32(bytes.count), address, socklen_t(length))
                }
            }
            if result != 0 {
                let code = errno
                finish(sequence, ProbeOutcome(result: ErrorClassification.classify(errno: code), detail: "udp send: \(String(cString: strerror(code)))"))
            }
        }
    }

    private enum Entry {
        case entered(UInt64, KernelReceiveTime, Socket)
        case noSocket
        case stopped
    }

    /// Enters a probe in the table, the table entry before the send (a loopback reply can beat
    /// sendto's return) and the send time read last, so the wait for the lock is not in the RTT.
    private func enter(_ key: SocketKey, continuation: UnsafeContinuation<ProbeOutcome, Never>, request: ProbeRequest) -> Entry {
        state.withLock { state in
            guard !state.stopped else { return .stopped }
            guard let socket = state.sockets[key] else { return .noSocket }
            state.sequence &+= 1
            let sentAt = KernelReceiveTime(sentWall: pm_realtime_ns(), sentMonotonic: pm_monotonic_ns())
            state.pending[state.sequence] = Pending(
                continuation: continuation, sentAt: sentAt, deadline: sentAt.sentMonotonic + request.timeout.nanoseconds,
                timeout: request.timeout, delay: request.delay, sourcePort: socket.localPort)
            return .entered(state.sequence, sentAt, socket)
        }
    }

    // MARK: Sockets

    struct SocketError: Error, CustomStringConvertible {
        var step: String
        var code: Int32
        var description: String { "\(step): \(String(cString: strerror(code)))" }
    }

    /// The shared socket for the request's local address (the wildcard of its family by default),
    /// source port (kernel-chosen, or one of the pinglist's rotation: ECMP paths) and DSCP (the
    /// marking is the socket's).
    private func makeSocket(_ key: SocketKey, for request: ProbeRequest) throws(SocketError) {
        let bind: SocketAddress
        do {
            bind = try SocketAddress(
                ipAddress: request.sourceAddress?.ipAddress ?? (key.inet6 ? "::" : "0.0.0.0"), port: request.sourceAddress?.port ?? 0)
        } catch {
            throw SocketError(step: "source address", code: EINVAL)
        }
        let made: Result<(Socket, Bool), SocketError> = state.withLock { state in
            // Another probe may have made it since the look above.
            if let existing = state.sockets[key] { return .success((existing, false)) }
            var step: UnsafePointer<CChar>? = nil
            let fd = bind.withSockAddr { address, length in pm_udp_probe_socket(address, socklen_t(length), Int32(request.dscp ?? -1), &step) }
            guard fd >= 0 else { return .failure(SocketError(step: step.map { String(cString: $0) } ?? "socket", code: errno)) }
            guard pm_epoll_add(epoll, fd, PM_EPOLLIN, UInt64(fd)) == 0 else {
                let code = errno
                close(fd)
                return .failure(SocketError(step: "epoll_ctl", code: code))
            }
            let port = Int(pm_local_port(fd))
            let socket = Socket(fd: fd, localPort: port > 0 ? port : nil)
            state.sockets[key] = socket
            defer { state.readerStarted = true }
            return .success((socket, !state.readerStarted))
        }
        let (_, startReader) = try made.get()
        if startReader { self.startReader() }
    }

    // MARK: Reading replies

    private func startReader() {
        let executor = executor
        let thread = Thread { [weak self] in
            pm_name_this_thread("pingmesh-udp")
            executor.attach()
            defer { executor.detach() }
            var nextExpiry: Int64 = 0
            var jobsWaiting = false
            while let self, self.readOnce(nextExpiry: &nextExpiry, jobsWaiting: &jobsWaiting) {}
        }
        // Not kept: it ends by itself once the prober is shut down or gone.
        thread.start()
        executor.waitUntilAttached()
    }

    /// How often, at most, the table is walked for expired probes: timeouts end up to this late,
    /// and no wake-up for a reply pays for a walk.
    private static let expiryStep: Int64 = 10_000_000

    /// One wait for replies (none while jobs wait to run), expiry when its step has passed, then
    /// the jobs of the tasks the replies resumed; false once stopped.
    private func readOnce(nextExpiry: inout Int64, jobsWaiting: inout Bool) -> Bool {
        let (stopped, busy) = state.withLock { state in (state.stopped, !state.pending.isEmpty) }
        if stopped { return false }
        let wait: Int32 = jobsWaiting ? 0 : busy ? Int32(Self.expiryStep / 1_000_000) : 100
        let count = pm_epoll_wait(epoll, readyKeys, readyEvents, 64, wait)
        for index in 0..<Int(max(count, 0)) {
            if readyKeys[index] == Self.wakeupKey {
                executor.clearWakeup()
            } else {
                drain(Int32(truncatingIfNeeded: readyKeys[index]))
            }
        }
        let now = pm_monotonic_ns()
        if busy, now >= nextExpiry {
            expire(now: now)
            nextExpiry = now + Self.expiryStep
        }
        jobsWaiting = executor.runQueued()
        return true
    }

    /// A reply read from the socket, before it is matched.
    private struct Reply {
        var packet: UDPEchoPacket
        var receivedAt: Int64
        var kernelReceived: Int64
    }

    /// Reads every waiting datagram, a batch per call, matching each batch under one lock.
    private func drain(_ fd: Int32) {
        var replies: [Reply] = []
        replies.reserveCapacity(Self.batch)
        while true {
            let count = pm_udp_receive_batch(fd, receiveBuffer.baseAddress, Int32(Self.slotBytes), Int32(Self.batch), receiveLengths, receiveStamps)
            guard count > 0 else { return }
            let receivedAt = pm_monotonic_ns()
            replies.removeAll(keepingCapacity: true)
            for index in 0..<Int(count) {
                let start = index * Self.slotBytes
                let slot = UnsafeRawBufferPointer(rebasing: receiveBuffer[start..<start + min(Int(receiveLengths[index]), Self.slotBytes)])
                guard let packet = UDPEchoPacket(bytes: slot), packet.type == .reply, packet.proberID == proberID else { continue }
                replies.append(Reply(packet: packet, receivedAt: receivedAt, kernelReceived: receiveStamps[index]))
            }
            let entries: [Pending?] = state.withLock { state in
                replies.map { reply in
                    // Not pending: a duplicate, or a reply after its timeout; neither counts twice.
                    guard let entry = state.pending[reply.packet.sequence], reply.packet.sentNanoseconds == UInt64(entry.sentAt.sentMonotonic)
                    else { return nil }
                    state.pending[reply.packet.sequence] = nil
                    return entry
                }
            }
            for (reply, entry) in zip(replies, entries) {
                guard let entry else { continue }
                entry.continuation.resume(returning: outcome(of: reply, for: entry))
            }
            if Int(count) < Self.batch { return }
        }
    }

    private func outcome(of reply: Reply, for entry: Pending) -> ProbeOutcome {
        let timing = entry.sentAt.rtt(receivedMonotonic: reply.receivedAt, kernelReceivedWall: reply.kernelReceived)
        var outcome = ProbeOutcome.answered(rtt: timing.rtt, delay: entry.delay)
        outcome.userSpaceRTT = timing.userSpace
        outcome.sourcePort = entry.sourcePort
        let packet = reply.packet
        if packet.responderSentNanoseconds >= packet.responderReceivedNanoseconds {
            outcome.responderDwell = .nanoseconds(Int64(packet.responderSentNanoseconds - packet.responderReceivedNanoseconds))
        }
        return outcome
    }

    private func expire(now: Int64) {
        let expired = state.withLock { state in
            let keys = state.pending.filter { $0.value.deadline <= now }.map(\.key)
            return keys.compactMap { state.pending.removeValue(forKey: $0) }
        }
        for entry in expired {
            var outcome = ProbeOutcome(result: .timeout, detail: "no echo within \(entry.timeout)")
            outcome.sourcePort = entry.sourcePort
            entry.continuation.resume(returning: outcome)
        }
    }

    private func finish(_ sequence: UInt64, _ outcome: ProbeOutcome) {
        guard let entry = state.withLock({ $0.pending.removeValue(forKey: sequence) }) else { return }
        var outcome = outcome
        outcome.sourcePort = entry.sourcePort
        entry.continuation.resume(returning: outcome)
    }
}
