/// How one traceroute probe ended.
enum HopAnswer: Sendable, Equatable {
    /// Nothing came back within the probe's timeout.
    case silent
    case answered(address: String, rtt: Duration, role: Role)

    enum Role: Sendable, Equatable {
        /// A router on the way: its TTL ran out there.
        case router
        /// The target itself: a SYN-ACK or RST, a port unreachable, a reply.
        case destination
        /// A router (or the target's network) refused to forward it: no route, filtered. Higher
        /// TTLs will hear the same, so the path ends here.
        case unreachable
    }
}

/// Sends one probe with a given TTL and waits for its answer, from one fixed 5-tuple.
protocol HopProber: AnyObject {
    /// The source port every probe leaves from; known once the first probe is sent.
    var sourcePort: Int? { get }
    func probe(ttl: Int, timeout: Duration) throws(TracerouteError) -> HopAnswer
}
