import PingmeshModel

/// Walks one path a TTL at a time: every probe of a TTL, then the next TTL, until the target
/// answers, a router says it cannot be reached, max hops, or the path has gone quiet.
struct PathTracer {
    var maxHops: Int
    var probesPerHop: Int
    var timeout: Duration
    /// Silent hops in a row, past the last one that answered, after which the rest of the path
    /// is taken to be dark too (a firewall, a black hole) instead of waiting out every TTL.
    var silentHopsBeforeGivingUp = 5

    /// `isCancelled` is asked between probes; a cancelled trace throws CancellationError.
    func trace(with prober: any HopProber, isCancelled: () -> Bool) throws -> TraceroutePath {
        var hops: [TracerouteHop] = []
        var lastAnswered = 0
        for ttl in 1...maxHops {
            var rtts: [Double] = []
            var address: String?
            var reached = false
            var refused = false
            for _ in 0..<probesPerHop {
                if isCancelled() { throw CancellationError() }
                guard case .answered(let responder, let rtt, let role) = try prober.probe(ttl: ttl, timeout: timeout) else { continue }
                rtts.append(Double(rtt.nanoseconds) / 1e6)
                address = address ?? responder
                reached = reached || role == .destination
                refused = refused || role == .unreachable
            }
            hops.append(TracerouteHop(ttl: ttl, address: address, sent: probesPerHop, rttsMilliseconds: rtts, isDestination: reached))
            if !rtts.isEmpty { lastAnswered = ttl }
            if reached || refused || ttl - lastAnswered >= silentHopsBeforeGivingUp { break }
        }
        return TraceroutePath(sourcePort: prober.sourcePort ?? 0, hops: hops)
    }
}
