import CPingmeshLinux
import NIOCore
import PingmeshModel

#if canImport(Glibc)
    import Glibc
#endif

/// TCP traceroute probes: per probe a fresh non-blocking socket bound to the run's source port
/// sends one SYN with a limited TTL. A router where the TTL runs out answers with ICMP time
/// exceeded, which fails the connect and leaves the router's address on the error queue; the
/// target answers with a SYN-ACK (the connect succeeds) or an RST (refused). Every probe uses the
/// same 5-tuple, so it follows the same ECMP path as the mesh's TCP probes from that port.
final class TCPHopProber: HopProber {
    private let target: SocketAddress
    private let targetText: String
    private let family: Int32
    private let sourceAddress: SocketAddress?
    private(set) var sourcePort: Int?

    /// `sourcePort` nil: the first probe takes the kernel's pick and the rest keep it.
    init(target: SocketAddress, sourceAddress: SocketAddress?, sourcePort: Int?) {
        self.target = target
        targetText = TraceSocket.canonical(target)
        family = TraceSocket.family(of: target)
        self.sourceAddress = sourceAddress
        self.sourcePort = sourcePort
    }

    func probe(ttl: Int, timeout: Duration) throws(TracerouteError) -> HopAnswer {
        let fd = try TraceSocket.open(family: family, tcp: true)
        // SO_LINGER {1, 0}: closing sends an RST, so the port is free again for the next probe.
        defer { close(fd) }
        try TraceSocket.setTTL(fd, family: family, ttl)
        try TraceSocket.bind(fd, to: try source())
        if sourcePort == nil {
            let port = pm_local_port(fd)
            if port > 0 { sourcePort = Int(port) }
        }
        let sentAt = pm_monotonic_ns()
        let started = TraceSocket.connect(fd, to: target)
        if started == 0 { return .answered(address: targetText, rtt: TraceSocket.elapsed(since: sentAt, pm_monotonic_ns()), role: .destination) }
        if started == ECONNREFUSED { return .answered(address: targetText, rtt: TraceSocket.elapsed(since: sentAt, pm_monotonic_ns()), role: .destination) }
        guard started == EINPROGRESS else { throw .system("connect \(target)", started) }
        let deadline = sentAt + timeout.nanoseconds
        while true {
            let ready = try TraceSocket.wait(fd, writable: true, until: deadline)
            let now = pm_monotonic_ns()
            if ready.isEmpty { return .silent }
            let rtt = TraceSocket.elapsed(since: sentAt, now)
            // An ICMP error about the SYN wins over what connect says about it.
            while let report = ErrorQueueReport.next(on: fd) {
                if let answer = HopAnswer(report: report, target: targetText, rtt: rtt) { return answer }
            }
            switch pm_socket_error(fd) {
            case 0 where ready.contains(.writable): return .answered(address: targetText, rtt: rtt, role: .destination)
            case ECONNREFUSED: return .answered(address: targetText, rtt: rtt, role: .destination)
            // A failure without an ICMP message (the neighbour never answered ARP): nobody spoke.
            case let code where code != 0: return .silent
            default: continue
            }
        }
    }

    private func source() throws(TracerouteError) -> SocketAddress {
        let port = sourcePort ?? 0
        do {
            if let sourceAddress { return try SocketAddress(ipAddress: sourceAddress.ipAddress ?? "", port: port) }
            return try SocketAddress(ipAddress: family == AF_INET6 ? "::" : "0.0.0.0", port: port)
        } catch {
            throw TracerouteError("source address: \(error)")
        }
    }
}
