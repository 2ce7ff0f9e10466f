import CPingmeshLinux
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// The socket calls both traceroute probers share: open with the error queue on, bind, connect,
/// set the TTL, wait.
enum TraceSocket {
    static func family(of address: SocketAddress) -> Int32 { address.protocol == .inet6 ? AF_INET6 : AF_INET }

    /// A socket with IP_RECVERR / IPV6_RECVERR on (see `pm_trace_socket`).
    static func open(family: Int32, tcp: Bool) throws(TracerouteError) -> Int32 {
        var step: UnsafePointer<CChar>?
        let fd = pm_trace_socket(family, tcp ? 1 : 0, &step)
        guard fd >= 0 else {
            let code = errno
            let call = step.map { String(cString: $0) } ?? "socket"
            if call.hasSuffix("RECVERR") { throw .noErrorQueue(call, code) }
            throw .system(call, code)
        }
        return fd
    }

    /// Binds to `source` (an address, a port, or both; port 0 lets the kernel pick one).
    static func bind(_ fd: Int32, to source: SocketAddress) throws(TracerouteError) {
        // The 5-tuple of a failing probe is traced while the agent's prober may hold the same
        // source port towards other targets (a rotation over a few ports); the 4-tuples differ,
        // which SO_REUSEADDR allows, as the prober's own sockets do.
        if source.port ?? 0 != 0 {
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let bound = source.withSockAddr { address, length in Glibc.bind(fd, address, socklen_t(length)) }
        guard bound == 0 else {
            let code = errno
            if code == EADDRINUSE { throw TracerouteError("source port \(source.port ?? 0) is in use on this host (another socket holds it)") }
            if code == EADDRNOTAVAIL { throw TracerouteError("source address \(source.ipAddress ?? "?") is not an address of this host") }
            throw .system("bind \(source)", code)
        }
    }

    /// Starts a connect; returns 0 when it finished at once, else the errno (EINPROGRESS while
    /// a TCP handshake runs).
    static func connect(_ fd: Int32, to target: SocketAddress) -> Int32 {
        let result = target.withSockAddr { address, length in Glibc.connect(fd, address, socklen_t(length)) }
        return result == 0 ? 0 : errno
    }

    static func setTTL(_ fd: Int32, family: Int32, _ ttl: Int) throws(TracerouteError) {
        guard pm_trace_set_ttl(fd, family, Int32(ttl)) == 0 else {
            throw .system(family == AF_INET6 ? "IPV6_UNICAST_HOPS" : "IP_TTL", errno)
        }
    }

    struct Readiness: OptionSet {
        var rawValue: Int32
        static let readable = Readiness(rawValue: 1)
        static let writable = Readiness(rawValue: 2)
        static let error = Readiness(rawValue: 4)
    }

    /// Waits until the socket is ready or `deadline` (monotonic ns) passes; empty on timeout.
    static func wait(_ fd: Int32, writable: Bool, until deadline: Int64) throws(TracerouteError) -> Readiness {
        while true {
            let remaining = deadline - pm_monotonic_ns()
            guard remaining > 0 else { return [] }
            // Round up: a 0 ms poll for the last fraction of a millisecond would spin.
            let milliseconds = Int32(min((remaining + 999_999) / 1_000_000, Int64(Int32.max)))
            let ready = pm_trace_poll(fd, writable ? 1 : 0, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw .system("poll", errno)
            }
            if ready > 0 { return Readiness(rawValue: ready) }
        }
    }

    /// Nanoseconds between two monotonic readings as a Duration.
    static func elapsed(since start: Int64, _ end: Int64) -> Duration { .nanoseconds(end - start) }

    /// The canonical text of an address literal (as inet_ntop writes it), to compare offenders.
    static func canonical(_ address: SocketAddress) -> String { address.ipAddress ?? "" }
}
