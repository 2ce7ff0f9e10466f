#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CPingmeshLinux
import NIOCore
import PingmeshModel
import Synchronization

/// TCP connect probes on a dedicated epoll loop (Linux): one thread, non-blocking sockets, the
/// clock read the moment epoll reports the handshake done. It does what `TCPProber` does -- a new
/// connection and source port per probe, RST on close, optional echoed payload -- at the cost of a
/// raw loop: NIO spends ~2.7x the CPU per probe (bootstrap, pipeline, cached addresses: 14 system
/// calls against 7), which is the agent's whole budget at 10,000 targets.
public final class EpollTCPProber: Prober, @unchecked Sendable {
    public let kind = ProbeKind.tcp

    private struct Submission {
        var request: ProbeRequest
        var completion: @Sendable (ProbeOutcome) -> Void
    }

    private enum Phase {
        case connecting
        case echoing(sentAt: Int64, sent: Int, received: Int)
    }

    private struct InFlight {
        var fd: Int32
        var request: ProbeRequest
        var completion: @Sendable (ProbeOutcome) -> Void
        var startedAt: Int64
        var deadline: Int64
        var connectRTT: Duration?
        var phase: Phase
        var sourcePort: Int?
        /// Read when the handshake completes (TCP_INFO).
        var synRetransmits: Int?
    }

    private let epoll: Int32
    private let wakeup: Int32
    private let submissions = Mutex<(queue: [Submission], running: Bool)>(([], true))
    private var thread: pthread_t?

    // Owned by the loop thread alone.
    private var inFlight: [UInt64: InFlight] = [:]
    private var nextKey: UInt64 = 1
    /// Deadlines in the order probes started, one queue per timeout value: with equal timeouts
    /// deadlines arrive in order, so expiry is a look at each queue's head.
    private var deadlines: [Int64: DeadlineQueue] = [:]
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)
    private var payload = [UInt8](repeating: UInt8(ascii: "p"), count: SafetyLimits.maximumPayloadBytes)

    private static let wakeupKey: UInt64 = 0
    /// Runs the tasks that prefer it on the loop thread (`ReaderThreadExecutor`): a probe's task
    /// is resumed where its handshake completed and starts its next probe there, with no signal.
    private let executor = ReaderThreadExecutor()
    public var preferredExecutor: (any TaskExecutor)? { executor }
    private static let executorWakeupKey = UInt64.max

    /// One loop for the whole process (every simulated agent of `pingmesh up` shares it); nil
    /// where epoll is not available, and callers fall back to `TCPProber`.
    public static let shared: EpollTCPProber? = try? EpollTCPProber()

    /// Handshakes quicker than this cannot have waited for a SYN retransmission.
    static let retransmitFloor = Duration.milliseconds(150)

    /// Starts the loop thread. Throws when epoll is not available (not Linux).
    public init() throws {
        epoll = pm_epoll_create()
        guard epoll >= 0 else { throw IOError(errnoCode: errno, reason: "epoll_create1") }
        wakeup = pm_eventfd()
        guard wakeup >= 0, pm_epoll_add(epoll, wakeup, PM_EPOLLIN, Self.wakeupKey) == 0,
            executor.wakeup >= 0, pm_epoll_add(epoll, executor.wakeup, PM_EPOLLIN, Self.executorWakeupKey) == 0
        else {
            close(epoll)
            throw IOError(errnoCode: errno, reason: "eventfd")
        }
        let unmanaged = Unmanaged.passRetained(self)
        var handle = pthread_t()
        let created = pthread_create(&handle, nil, { context in
            let prober = Unmanaged<EpollTCPProber>.fromOpaque(context!).takeRetainedValue()
            prober.loop()
            return nil
        }, unmanaged.toOpaque())
        guard created == 0 else {
            unmanaged.release()
            throw IOError(errnoCode: created, reason: "pthread_create")
        }
        thread = handle
        executor.waitUntilAttached()
    }

    /// Stops the loop after failing every probe still in flight, and waits for the thread.
    public func shutdown() {
        submissions.withLock { $0.running = false }
        _ = pm_eventfd_signal(wakeup)
        // From a task on the loop itself, joining would wait for this very thread.
        if let thread, !executor.isReaderThread { pthread_join(thread, nil) }
        thread = nil
    }

    public func probe(_ request: ProbeRequest) async -> ProbeOutcome {
        await withCheckedContinuation { continuation in
            start(request) { continuation.resume(returning: $0) }
        }
    }

    /// Starts a probe; `completion` runs on the loop thread, so it must be quick.
    public func start(_ request: ProbeRequest, completion: @escaping @Sendable (ProbeOutcome) -> Void) {
        // On the loop thread (a task that prefers the executor, a completion) no wake-up is
        // needed: the loop begins what was submitted before it waits again.
        let onLoop = executor.isReaderThread
        let accepted = submissions.withLock { state -> Bool in
            guard state.running else { return false }
            state.queue.append(Submission(request: request, completion: completion))
            return true
        }
        guard accepted else {
            completion(ProbeOutcome(result: .error, detail: "prober shut down"))
            return
        }
        if !onLoop { _ = pm_eventfd_signal(wakeup) }
    }

    // MARK: The loop

    private func loop() {
        pm_name_this_thread("pingmesh-tcp")
        executor.attach()
        defer { executor.detach() }
        var keys = [UInt64](repeating: 0, count: 256)
        var events = [UInt32](repeating: 0, count: 256)
        var busy = false
        while true {
            let timeout = busy ? 0 : nextTimeoutMilliseconds()
            let count = pm_epoll_wait(epoll, &keys, &events, 256, timeout)
            if count < 0, errno != EINTR { break }
            for index in 0..<Int(max(count, 0)) {
                switch keys[index] {
                case Self.executorWakeupKey: executor.clearWakeup()
                case Self.wakeupKey: pm_eventfd_drain(wakeup)
                default: handle(key: keys[index], events: events[index])
                }
            }
            expire(now: pm_monotonic_ns())
            let jobsWaiting = executor.runQueued()
            // Submissions from other threads (signalled) and from this one (completions and
            // tasks that started probes here, unsignalled), begun together.
            guard let moreSubmitted = beginSubmissions() else { return }
            // A probe that ended as it began (a bind or connect refused at once) resumed its task
            // here, unsignalled: its job must run before the loop waits, or with no probe left in
            // flight the loop would wait for ever and the task with it.
            busy = jobsWaiting || moreSubmitted || executor.hasQueuedJobs
        }
    }

    /// Begins the submitted probes; whether more were submitted meanwhile, or nil once stopped
    /// (everything in flight then failed).
    private func beginSubmissions() -> Bool? {
        let (batch, running) = submissions.withLock { state in
            defer { state.queue.removeAll(keepingCapacity: true) }
            return (state.queue, state.running)
        }
        guard running else {
            failAll(batch)
            return nil
        }
        for submission in batch { begin(submission) }
        return submissions.withLock { !$0.queue.isEmpty }
    }

    private func failAll(_ batch: [Submission]) {
        for submission in batch { submission.completion(ProbeOutcome(result: .error, detail: "prober shut down")) }
        for key in Array(inFlight.keys) { finish(key, ProbeOutcome(result: .error, detail: "prober shut down")) }
        close(epoll)
        close(wakeup)
    }

    private func begin(_ submission: Submission) {
        let request = submission.request
        let fd = pm_probe_socket(Int32(request.address.protocol.rawValue))
        guard fd >= 0 else {
            submission.completion(ProbeOutcome(result: .error, detail: "socket: \(String(cString: strerror(errno)))"))
            return
        }
        if let dscp = request.dscp, pm_set_dscp(fd, Int32(request.address.protocol.rawValue), Int32(dscp)) != 0 {
            let code = errno
            close(fd)
            submission.completion(ProbeOutcome(result: .error, detail: "DSCP \(dscp): \(String(cString: strerror(code)))"))
            return
        }
        if let source = request.sourceAddress {
            // A fixed source port (ECMP rotation) is reused probe after probe: the previous
            // connection ended in an RST, but the port may still be bound by one in flight to
            // another target, which SO_REUSEADDR allows (the 4-tuples differ).
            if let port = source.port, port != 0 {
                var one: Int32 = 1
                _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            let bound = source.withSockAddr { bind(fd, $0, socklen_t($1)) }
            guard bound == 0 else {
                let code = errno
                close(fd)
                submission.completion(ProbeOutcome(result: .error, detail: "bind to \(source): \(String(cString: strerror(code)))"))
                return
            }
        }
        let key = nextKey
        nextKey &+= 1
        let started = pm_monotonic_ns()
        let timeout = request.timeout.nanoseconds
        inFlight[key] = InFlight(
            fd: fd, request: request, completion: submission.completion, startedAt: started, deadline: started + timeout,
            phase: .connecting)
        let connected = request.address.withSockAddr { connect(fd, $0, socklen_t($1)) }
        let code = connected == 0 ? 0 : errno
        // The kernel picked the source port as the SYN left.
        let port = pm_local_port(fd)
        if port > 0 { inFlight[key]?.sourcePort = Int(port) }
        if connected == 0 {
            handshakeDone(key, now: pm_monotonic_ns())
            return
        }
        guard code == EINPROGRESS else {
            finish(key, ProbeOutcome(result: ErrorClassification.classify(errno: code), detail: "connect: \(String(cString: strerror(code)))"))
            return
        }
        guard pm_epoll_add(epoll, fd, PM_EPOLLOUT, key) == 0 else {
            finish(key, ProbeOutcome(result: .error, detail: "epoll_ctl: \(String(cString: strerror(errno)))"))
            return
        }
        deadlines[timeout, default: DeadlineQueue()].append(key: key, deadline: started + timeout)
    }

    private func handle(key: UInt64, events: UInt32) {
        let now = pm_monotonic_ns()
        guard let probe = inFlight[key] else { return }
        switch probe.phase {
        case .connecting:
            let error = pm_socket_error(probe.fd)
            guard error == 0 else {
                finish(key, ProbeOutcome(result: ErrorClassification.classify(errno: error), detail: "connect: \(String(cString: strerror(error)))"))
                return
            }
            handshakeDone(key, now: now)
        case .echoing:
            if events & PM_EPOLLOUT != 0 { sendPayload(key) }
            if events & (PM_EPOLLIN | PM_EPOLLHUP | PM_EPOLLERR) != 0 { receiveEcho(key) }
        }
    }

    private func handshakeDone(_ key: UInt64, now: Int64) {
        guard var probe = inFlight[key] else { return }
        let rtt = Duration.nanoseconds(now - probe.startedAt)
        probe.connectRTT = rtt
        // A SYN is sent again only after the retransmission timeout, never under Linux's
        // TCP_RTO_MIN (200 ms): a quicker handshake had none, and skips the TCP_INFO syscall
        // (it would add a few percent to the CPU per probe).
        if rtt < Self.retransmitFloor {
            probe.synRetransmits = 0
        } else {
            let retransmits = pm_tcp_total_retransmits(probe.fd)
            probe.synRetransmits = retransmits >= 0 ? Int(retransmits) : nil
        }
        guard probe.request.payloadBytes > 0 else {
            inFlight[key] = probe
            finish(key, .answered(rtt: rtt, connectRTT: rtt, delay: probe.request.delay))
            return
        }
        probe.phase = .echoing(sentAt: pm_monotonic_ns(), sent: 0, received: 0)
        inFlight[key] = probe
        sendPayload(key)
    }

    private func sendPayload(_ key: UInt64) {
        guard var probe = inFlight[key], case .echoing(let sentAt, var sent, let received) = probe.phase else { return }
        let total = min(probe.request.payloadBytes, payload.count)
        while sent < total {
            let written = payload.withUnsafeBytes { send(probe.fd, $0.baseAddress! + sent, total - sent, Int32(MSG_NOSIGNAL)) }
            if written > 0 {
                sent += written
            } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                break
            } else {
                finish(key, ProbeOutcome(result: .error, connectRTT: probe.connectRTT, detail: "send: \(String(cString: strerror(errno)))"))
                return
            }
        }
        probe.phase = .echoing(sentAt: sentAt, sent: sent, received: received)
        inFlight[key] = probe
        let interest = sent < total ? (PM_EPOLLIN | PM_EPOLLOUT) : PM_EPOLLIN
        _ = pm_epoll_modify(epoll, probe.fd, interest, key)
    }

    private func receiveEcho(_ key: UInt64) {
        guard var probe = inFlight[key], case .echoing(let sentAt, let sent, var received) = probe.phase else { return }
        let expected = probe.request.payloadBytes
        while true {
            let count = scratch.withUnsafeMutableBytes { recv(probe.fd, $0.baseAddress!, $0.count, 0) }
            if count > 0 {
                received += count
                if received >= expected { break }
            } else if count == 0 {
                finish(key, ProbeOutcome(result: .error, connectRTT: probe.connectRTT, detail: "closed by the peer after \(received) of \(expected) echoed bytes"))
                return
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                probe.phase = .echoing(sentAt: sentAt, sent: sent, received: received)
                inFlight[key] = probe
                return
            } else {
                // A reset after the handshake is the peer dropping the payload, not a refusal.
                finish(key, ProbeOutcome(result: .error, connectRTT: probe.connectRTT, detail: "recv: \(String(cString: strerror(errno)))"))
                return
            }
        }
        let rtt = Duration.nanoseconds(pm_monotonic_ns() - sentAt)
        finish(
            key,
            received == expected
                ? .answered(rtt: rtt, connectRTT: probe.connectRTT, delay: probe.request.delay)
                : ProbeOutcome(result: .error, connectRTT: probe.connectRTT, detail: "echo returned \(received) bytes, sent \(expected)"))
    }

    private func finish(_ key: UInt64, _ outcome: ProbeOutcome) {
        guard let probe = inFlight.removeValue(forKey: key) else { return }
        // Closing removes the socket from epoll; SO_LINGER 0 makes it send an RST.
        close(probe.fd)
        var outcome = outcome
        outcome.sourcePort = probe.sourcePort
        outcome.synRetransmits = outcome.synRetransmits ?? probe.synRetransmits
        // The handshake waited out the retransmission timer: a packet was lost, and its time is
        // no measure of the network's latency.
        if outcome.result.isAnswered, let retransmits = outcome.synRetransmits, retransmits > 0 { outcome.result = .retransmitted }
        probe.completion(outcome)
    }

    private func expire(now: Int64) {
        for timeout in Array(deadlines.keys) {
            deadlines[timeout]!.popExpired(now: now, isLive: { inFlight[$0] != nil }) { key in
                guard let probe = inFlight[key] else { return }
                let phase = probe.connectRTT == nil ? "connect" : "payload echo"
                finish(key, ProbeOutcome(result: .timeout, connectRTT: probe.connectRTT, detail: "no \(phase) within \(probe.request.timeout)"))
            }
            if deadlines[timeout]!.isEmpty { deadlines[timeout] = nil }
        }
    }

    private func nextTimeoutMilliseconds() -> Int32 {
        var nearest: Int64?
        for timeout in Array(deadlines.keys) {
            deadlines[timeout]!.dropFinished { inFlight[$0] != nil }
            if let head = deadlines[timeout]!.head { nearest = min(nearest ?? head, head) }
        }
        guard let nearest else { return -1 }
        let remaining = nearest - pm_monotonic_ns()
        // Round up so the loop wakes at or after the deadline, never just before it.
        return remaining <= 0 ? 0 : Int32(min((remaining + 999_999) / 1_000_000, Int64(Int32.max)))
    }

    deinit {
        submissions.withLock { $0.running = false }
    }
}

/// Keys in deadline order, with lazy removal of probes that already finished.
struct DeadlineQueue {
    private var entries: [(key: UInt64, deadline: Int64)] = []
    private var start = 0

    var isEmpty: Bool { start == entries.count }
    var head: Int64? { isEmpty ? nil : entries[start].deadline }

    mutating func append(key: UInt64, deadline: Int64) {
        entries.append((key, deadline))
    }

    mutating func dropFinished(isLive: (UInt64) -> Bool) {
        while start < entries.count, !isLive(entries[start].key) { start += 1 }
        compact()
    }

    mutating func popExpired(now: Int64, isLive: (UInt64) -> Bool, expire: (UInt64) -> Void) {
        while start < entries.count, entries[start].deadline <= now || !isLive(entries[start].key) {
            let key = entries[start].key
            start += 1
            if isLive(key) { expire(key) }
        }
        compact()
    }

    private mutating func compact() {
        if start > 1024, start * 2 > entries.count {
            entries.removeFirst(start)
            start = 0
        }
    }
}
