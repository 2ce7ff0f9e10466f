import NIOCore
import PingmeshModel
import PingmeshProbe

/// A pinglist target resolved to an address, with its fixed place in the round.
public struct ScheduledTarget: Sendable {
    public let target: ProbeTarget
    /// `target.id`, computed once: the hot path keys maps by it on every probe.
    public let id: String
    public let address: SocketAddress
    /// Where in the round the target is probed, in [0, 1): a hash of the target's id, so it is
    /// the same in every round and survives pinglist changes around it.
    public let phase: Double

    public init(target: ProbeTarget, address: SocketAddress) {
        self.target = target
        self.id = target.id
        self.address = address
        self.phase = Self.phase(of: id)
    }

    public static func phase(of id: String) -> Double {
        StableHash.uniform(id)
    }

    /// One probe of this target, with every option its pinglist entry carries (the scheduler,
    /// `pingmesh probe` and manual probes all build it here, so none forgets one).
    public func request(sourceAddress: SocketAddress?, dscp: Int? = nil) -> ProbeRequest {
        var request = ProbeRequest(
            address: address, timeout: target.timeout, delay: target.delay, payloadBytes: target.payloadBytes, sourceAddress: sourceAddress,
            dscp: dscp)
        request.http = target.http
        request.dns = target.dns
        return request
    }
}

/// A pinglist ready to run: every target resolved.
public struct ResolvedPinglist: Sendable {
    public var pinglist: Pinglist
    public var targets: [ScheduledTarget]
    /// Targets that could not be resolved or whose kind has no prober, with the reason.
    public var skipped: [(target: ProbeTarget, reason: String)]

    public init(pinglist: Pinglist, targets: [ScheduledTarget], skipped: [(target: ProbeTarget, reason: String)] = []) {
        self.pinglist = pinglist
        self.targets = targets
        self.skipped = skipped
    }

    public static let empty = ResolvedPinglist(pinglist: .empty, targets: [])
}
