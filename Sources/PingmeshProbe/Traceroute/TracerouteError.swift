#if canImport(Glibc)
    import Glibc
#endif

/// A traceroute that could not run (as opposed to one whose probes went unanswered).
public struct TracerouteError: Error, CustomStringConvertible, Sendable {
    public var description: String

    init(_ description: String) { self.description = description }

    /// A failed system call, with errno's words.
    static func system(_ call: String, _ code: Int32) -> TracerouteError {
        TracerouteError("\(call): \(String(cString: strerror(code)))")
    }

    /// IP_RECVERR or IPV6_RECVERR refused: the error queue is how this traceroute hears routers.
    static func noErrorQueue(_ option: String, _ code: Int32) -> TracerouteError {
        TracerouteError(
            "\(option): \(String(cString: strerror(code))): traceroute reads ICMP errors from the socket error queue, which needs Linux (no raw-socket fallback)"
        )
    }
}
