import CPingmeshLinux
import NIOCore
import PingmeshModel

#if canImport(Glibc)
    import Glibc
#endif

/// UDP traceroute probes from one connected socket: one source port, one destination, so every
/// probe hashes onto the same ECMP path; only the TTL changes between them. Routers answer with
/// ICMP time exceeded, the target with port unreachable (or a reply), both read from the error
/// queue.
final class UDPHopProber: HopProber {
    private let fd: Int32
    private let family: Int32
    private let target: String
    private(set) var sourcePort: Int?
    private var sequence: UInt32 = 0

    /// `source` carries the fixed port (0: the kernel's pick) and, optionally, the address.
    init(target: SocketAddress, source: SocketAddress?) throws(TracerouteError) {
        family = TraceSocket.family(of: target)
        self.target = TraceSocket.canonical(target)
        fd = try TraceSocket.open(family: family, tcp: false)
        do throws(TracerouteError) {
            if let source { try TraceSocket.bind(fd, to: source) }
            let connected = TraceSocket.connect(fd, to: target)
            guard connected == 0 else { throw TracerouteError.system("connect \(target)", connected) }
        } catch {
            close(fd)
            throw error
        }
        let port = pm_local_port(fd)
        sourcePort = port > 0 ? Int(port) : nil
    }

    deinit { close(fd) }

    func probe(ttl: Int, timeout: Duration) throws(TracerouteError) -> HopAnswer {
        ErrorQueueReport.drain(fd)
        discardReplies()
        try TraceSocket.setTTL(fd, family: family, ttl)
        sequence &+= 1
        // The sequence number leads the payload: routers that quote the whole probe (Linux
        // quotes up to 576 bytes) let a late answer to an earlier probe be told apart.
        let payload = withUnsafeBytes(of: sequence.bigEndian) { Array($0) } + Array("pingmesh-traceroute".utf8)
        var sentAt = pm_monotonic_ns()
        var sent = payload.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if sent < 0 && errno == ECONNREFUSED {
            // A late port unreachable for an earlier probe, arrived since the drain: it failed
            // this send, not the target's answer to it. Clear it and send again.
            ErrorQueueReport.drain(fd)
            sentAt = pm_monotonic_ns()
            sent = payload.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        }
        if sent < 0 { throw .system("send", errno) }
        let deadline = sentAt + timeout.nanoseconds
        while true {
            let ready = try TraceSocket.wait(fd, writable: false, until: deadline)
            let now = pm_monotonic_ns()
            if ready.isEmpty { return .silent }
            if ready.contains(.error) {
                while let report = ErrorQueueReport.next(on: fd) {
                    if let answer = answer(to: report, rtt: TraceSocket.elapsed(since: sentAt, now)) { return answer }
                }
                // An error with nothing queued (or only stale reports): clear it and keep waiting.
                _ = pm_socket_error(fd)
            }
            if ready.contains(.readable) {
                var buffer = [UInt8](repeating: 0, count: 2048)
                let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                // Only the target can send to a connected socket: it answered.
                if count >= 0 { return .answered(address: target, rtt: TraceSocket.elapsed(since: sentAt, now), role: .destination) }
            }
        }
    }

    /// What a report means for the probe in flight; nil when it is not about that probe.
    private func answer(to report: ErrorQueueReport, rtt: Duration) -> HopAnswer? {
        if report.payload.count >= 4 {
            let quoted = report.payload.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard quoted == sequence else { return nil }
        }
        return HopAnswer(report: report, target: target, rtt: rtt)
    }

    /// Drops any datagram the target sent after an earlier probe's answer was taken.
    private func discardReplies() {
        var buffer = [UInt8](repeating: 0, count: 2048)
        while recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) >= 0 {}
    }
}

extension HopAnswer {
    /// The answer an ICMP error gives: the target's own message ends the path; a time exceeded
    /// names a router; an unreachable from elsewhere ends the path short of the target. nil for a
    /// local error (no route on this host is not a hop).
    init?(report: ErrorQueueReport, target: String, rtt: Duration) {
        guard report.kind != .local, let offender = report.offender else { return nil }
        if report.kind == .portUnreachable || offender == target {
            self = .answered(address: offender, rtt: rtt, role: .destination)
        } else if report.kind == .timeExceeded {
            self = .answered(address: offender, rtt: rtt, role: .router)
        } else {
            self = .answered(address: offender, rtt: rtt, role: .unreachable)
        }
    }
}
