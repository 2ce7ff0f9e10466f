import CPingmeshLinux
import Foundation
import NIOCore
import PingmeshModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// ICMP echo through one shared socket per address family: an unprivileged datagram ping socket
/// where `net.ipv4.ping_group_range` allows it, a raw socket with root or CAP_NET_RAW otherwise.
/// A raw socket sees every ICMP packet the host receives, so replies are matched by identifier,
/// sequence number and source address against a table of pending probes. One thread reads
/// replies for both families and expires probes at their deadlines. The RTT runs from right
/// before `sendto` to the kernel's receive timestamp of the reply (`KernelReceiveTime`), or to
/// right after `recvmsg` where the kernel gives none.
public final class ICMPProber: Prober, Sendable {
    public let kind = ProbeKind.icmp

    /// Why ICMP probes cannot run here, naming both remedies.
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    struct Socket: Sendable {
        var fd: Int32
        var family: Int32
        var raw: Bool
        var identifier: UInt16
        var index: UInt32
    }

    private struct Pending {
        var continuation: UnsafeContinuation<ProbeOutcome, Never>
        var sentAt: KernelReceiveTime
        var deadline: Int64
        var delay: Duration
        var destination: [UInt8]
        var socket: Socket
    }

    private struct State {
        var pending: [UInt32: Pending] = [:]
        var sequence: [UInt32: UInt16] = [:]
        var stopped = false
    }

    private let state = Mutex(State())
    private let sockets: [Int32: Socket]
    /// The sockets in index order, then the executor's wake-up: what the reader polls.
    private let ordered: [Socket]
    private let pollDescriptors: [Int32]
    /// Runs the tasks that prefer it on the reader thread (`ReaderThreadExecutor`).
    private let executor = ReaderThreadExecutor()
    public var preferredExecutor: (any TaskExecutor)? { executor }

    /// Whether each family's socket is a raw one (for logs and `pingmesh probe`).
    public var modes: [String] {
        sockets.values.sorted { $0.family < $1.family }.map { "\($0.family == AF_INET6 ? "IPv6" : "IPv4") \($0.raw ? "raw" : "datagram")" }
    }

    /// Opens the sockets and starts the reader; throws when neither family can have one.
    public static func make() throws(Unavailable) -> ICMPProber {
        let prober = try ICMPProber()
        prober.startReader()
        return prober
    }

    private init() throws(Unavailable) {
        var sockets: [Int32: Socket] = [:]
        var failure: Int32 = 0
        for (index, family) in [AF_INET, AF_INET6].enumerated() {
            var raw: Int32 = 0
            let fd = pm_icmp_socket(family, &raw)
            guard fd >= 0 else {
                failure = errno
                continue
            }
            // A raw socket's requests carry an identifier of ours; a ping socket's, the kernel's.
            let identifier = raw == 1 ? UInt16.random(in: 1...UInt16.max) : 0
            sockets[family] = Socket(fd: fd, family: family, raw: raw == 1, identifier: identifier, index: UInt32(index))
        }
        guard !sockets.isEmpty else {
            throw Unavailable(
                description: """
                    ICMP probes need a ping socket or a raw socket and neither could be opened (\(String(cString: strerror(failure)))): \
                    allow unprivileged ping sockets for the agent's group (sysctl net.ipv4.ping_group_range="0 2147483647") \
                    or give the agent CAP_NET_RAW (or run it as root)
                    """)
        }
        self.sockets = sockets
        ordered = sockets.values.sorted { $0.index < $1.index }
        pollDescriptors = ordered.map(\.fd) + [executor.wakeup]
    }

    deinit {
        for socket in sockets.values { close(socket.fd) }
    }

    /// Stops the reader; probes in flight end as errors.
    public func shutdown() {
        let waiting = state.withLock { state in
            state.stopped = true
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for entry in waiting { entry.continuation.resume(returning: ProbeOutcome(result: .error, detail: "prober shut down")) }
        // Wakes the reader to see the stop and hand its queued jobs to the global executor.
        _ = pm_eventfd_signal(executor.wakeup)
    }

    public func probe(_ request: ProbeRequest) async -> ProbeOutcome {
        let family = request.address.protocol == .inet6 ? AF_INET6 : AF_INET
        guard let socket = sockets[family] else {
            return ProbeOutcome(result: .error, detail: "no ICMP socket for \(family == AF_INET6 ? "IPv6" : "IPv4") on this host")
        }
        guard let destination = Self.addressBytes(request.address) else {
            return ProbeOutcome(result: .error, detail: "not an IP address: \(request.address)")
        }
        guard request.payloadBytes <= 65_507 - 8 else {
            return ProbeOutcome(result: .error, detail: "payload of \(request.payloadBytes) bytes does not fit an ICMP echo")
        }
        return await withUnsafeContinuation { continuation in
            // Reserve a sequence number not in flight, and the table entry, before sending; the
            // send time is read last, so the wait for the lock is not counted in the RTT.
            let key: UInt32? = state.withLock { state in
                guard !state.stopped else { return nil }
                var sequence = state.sequence[socket.index, default: UInt16.random(in: 0...UInt16.max)]
                for _ in 0...UInt16.max {
                    sequence &+= 1
                    if state.pending[socket.index << 16 | UInt32(sequence)] == nil { break }
                }
                state.sequence[socket.index] = sequence
                let key = socket.index << 16 | UInt32(sequence)
                let sentAt = KernelReceiveTime(sentWall: pm_realtime_ns(), sentMonotonic: pm_monotonic_ns())
                state.pending[key] = Pending(
                    continuation: continuation, sentAt: sentAt, deadline: sentAt.sentMonotonic + request.timeout.nanoseconds, delay: request.delay,
                    destination: destination, socket: socket)
                return key
            }
            guard let key else {
                continuation.resume(returning: ProbeOutcome(result: .error, detail: "prober shut down"))
                return
            }
            let sequence = UInt16(key & 0xffff)
            let sent = request.address.withSockAddr { address, length in
                pm_icmp_send(socket.fd, family, address, socklen_t(length), socket.identifier, sequence, Int32(request.payloadBytes))
            }
            if sent != 0 {
                let code = errno
                finish(key, ProbeOutcome(result: ErrorClassification.classify(errno: code), detail: "sendto: \(String(cString: strerror(code)))"))
            }
        }
    }

    // MARK: Reading replies

    private func startReader() {
        let executor = executor
        let thread = Thread { [weak self] in
            pm_name_this_thread("pingmesh-icmp")
            executor.attach()
            defer { executor.detach() }
            var jobsWaiting = false
            var ready = [Int32](repeating: 0, count: self?.pollDescriptors.count ?? 0)
            while let self, self.readOnce(jobsWaiting: &jobsWaiting, ready: &ready) {}
        }
        // Not kept: it ends by itself once the prober is shut down or gone.
        thread.start()
        executor.waitUntilAttached()
    }

    /// One wait for replies (none while jobs wait to run), expiry once the nearest deadline has
    /// passed, then the jobs of the tasks the replies resumed; false once stopped.
    private func readOnce(jobsWaiting: inout Bool, ready: inout [Int32]) -> Bool {
        let now = pm_monotonic_ns()
        let (stopped, nearest) = state.withLock { state in (state.stopped, state.pending.values.lazy.map(\.deadline).min()) }
        if stopped { return false }
        let wait = jobsWaiting ? 0 : nearest.map { Int32(clamping: max(1, min(100, ($0 - now) / 1_000_000 + 1))) } ?? 100
        _ = pm_poll_readable(pollDescriptors, Int32(pollDescriptors.count), wait, &ready)
        for (socket, isReady) in zip(ordered, ready) where isReady != 0 { drain(socket) }
        if ready[ordered.count] != 0 { executor.clearWakeup() }
        // Expiry walks the whole table; only when the nearest deadline has passed.
        let after = pm_monotonic_ns()
        if let nearest, nearest <= after { expire(now: after) }
        jobsWaiting = executor.runQueued()
        return true
    }

    private func drain(_ socket: Socket) {
        var identifier: UInt16 = 0
        var sequence: UInt16 = 0
        var ttl: Int32 = -1
        var from = sockaddr_storage()
        var kernelReceived: Int64 = 0
        while true {
            let result = pm_icmp_receive(socket.fd, socket.family, socket.raw ? 1 : 0, &identifier, &sequence, &ttl, &from, &kernelReceived)
            let receivedAt = pm_monotonic_ns()
            guard result >= 0 else { return }
            guard result == 1, !socket.raw || identifier == socket.identifier else { continue }
            let key = socket.index << 16 | UInt32(sequence)
            let source = Self.addressBytes(from)
            let entry: Pending? = state.withLock { state in
                guard let entry = state.pending[key], entry.destination == source else { return nil }
                state.pending[key] = nil
                return entry
            }
            guard let entry else { continue }
            let timing = entry.sentAt.rtt(receivedMonotonic: receivedAt, kernelReceivedWall: kernelReceived)
            var outcome = ProbeOutcome.answered(rtt: timing.rtt, delay: entry.delay)
            outcome.userSpaceRTT = timing.userSpace
            if ttl >= 0 { outcome.replyTTL = Int(ttl) }
            entry.continuation.resume(returning: outcome)
        }
    }

    private func expire(now: Int64) {
        let expired = state.withLock { state in
            let keys = state.pending.filter { $0.value.deadline <= now }.map(\.key)
            return keys.compactMap { state.pending.removeValue(forKey: $0) }
        }
        for entry in expired {
            entry.continuation.resume(returning: ProbeOutcome(result: .timeout, detail: "no echo reply within \(Duration.nanoseconds(entry.deadline - entry.sentAt.sentMonotonic))"))
        }
    }

    private func finish(_ key: UInt32, _ outcome: ProbeOutcome) {
        let entry = state.withLock { $0.pending.removeValue(forKey: key) }
        entry?.continuation.resume(returning: outcome)
    }

    // MARK: Addresses as bytes

    static func addressBytes(_ address: SocketAddress) -> [UInt8]? {
        switch address {
        case .v4(let v4): withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6): withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        default: nil
        }
    }

    static func addressBytes(_ storage: sockaddr_storage) -> [UInt8]? {
        var storage = storage
        let family = Int32(storage.ss_family)
        return withUnsafeBytes(of: &storage) { raw -> [UInt8]? in
            switch family {
            case AF_INET:
                let address = raw.load(as: sockaddr_in.self).sin_addr
                return withUnsafeBytes(of: address) { Array($0) }
            case AF_INET6:
                let address = raw.load(as: sockaddr_in6.self).sin6_addr
                return withUnsafeBytes(of: address) { Array($0) }
            default:
                return nil
            }
        }
    }
}
