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
    /// How long the host name's resolution took (the latest one, at load or refresh); nil for a
    /// literal address, which takes none.
    public let resolveTime: Duration?
    /// Why the target's host name has no address; nil when it has one. Such a target is never
    /// probed: each round records it as `unresolved` instead, and `address` is only the
    /// unspecified address standing in for the one it lacks.
    public let unresolvedReason: String?

    public init(target: ProbeTarget, address: SocketAddress, resolveTime: Duration? = nil) {
        self.target = target
        self.id = target.id
        self.address = address
        self.phase = Self.phase(of: id)
        self.resolveTime = resolveTime
        self.unresolvedReason = nil
    }

    /// A target whose host name did not resolve, with why and how long the attempt took.
    public init(unresolved target: ProbeTarget, reason: String, resolveTime: Duration? = nil) {
        self.target = target
        self.id = target.id
        self.address = Self.noAddress
        self.phase = Self.phase(of: id)
        self.resolveTime = resolveTime
        self.unresolvedReason = reason
    }

    /// 0.0.0.0:0, a literal that always parses.
    private static let noAddress = try! SocketAddress(ipAddress: "0.0.0.0", port: 0)

    public static func phase(of id: String) -> Double {
        StableHash.uniform(id)
    }

    /// The outcome each round records for a target with no address.
    public var unresolvedOutcome: ProbeOutcome? {
        unresolvedReason.map { ProbeOutcome(result: .unresolved, detail: $0) }
    }

    /// One probe of this target, with every option its pinglist entry carries (the scheduler,
    /// `pingmesh probe` and manual probes all build it here, so none forgets one).
    public func request(sourceAddress: SocketAddress?, dscp: Int? = nil) -> ProbeRequest {
        var request = ProbeRequest(
            address: address, timeout: target.timeout, delay: target.delay, payloadBytes: target.payloadBytes, sourceAddress: sourceAddress,
            dscp: dscp)
        request.http = target.http
        request.dns = target.dns
        request.resolveTime = resolveTime
        return request
    }
}

/// A pinglist ready to run: every target resolved, or known not to be.
public struct ResolvedPinglist: Sendable {
    public var pinglist: Pinglist
    public var targets: [ScheduledTarget]
    /// Targets whose host name has no address (see `ScheduledTarget.unresolvedReason`): not
    /// probed, but recorded as `unresolved` every round, so a name that never resolves shows up
    /// as failing rather than vanishing from the mesh.
    public var unresolved: [ScheduledTarget]
    /// Targets whose kind has no prober in this agent, with the reason.
    public var skipped: [(target: ProbeTarget, reason: String)]

    public init(
        pinglist: Pinglist, targets: [ScheduledTarget], unresolved: [ScheduledTarget] = [], skipped: [(target: ProbeTarget, reason: String)] = []
    ) {
        self.pinglist = pinglist
        self.targets = targets
        self.unresolved = unresolved
        self.skipped = skipped
    }

    public static let empty = ResolvedPinglist(pinglist: .empty, targets: [])

    /// Every target with a place in the round: probed ones, then unresolved ones.
    public var scheduled: [ScheduledTarget] { targets + unresolved }
}
