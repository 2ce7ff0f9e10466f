import NIOCore
import PingmeshModel

/// ECMP path coverage: switches pick an equal-cost next hop by hashing the 5-tuple, so probes of
/// one pair that leave from different source ports cross different paths. With `source_ports`
/// set, each TCP or UDP target's probes take the ports in turn, so every path is probed every
/// few rounds and a black hole that hits only some ports (Pingmesh 5.1) shows in the per-port
/// loss buckets. Targets start at different ports (a stable hash of their id), so one round
/// spreads over all of them.
struct SourcePortRotation {
    private var ports: [Int] = []
    private var turns: [String: Int] = [:]

    /// A new pinglist: its ports, and the turns of targets that are still in it.
    mutating func update(ports: [Int], targets: Set<String>) {
        if ports != self.ports { turns.removeAll() }
        self.ports = ports
        turns = turns.filter { targets.contains($0.key) }
    }

    /// The local address for the target's next probe: `source` (or the wildcard address of the
    /// target's family) with the target's next port; `source` unchanged when no ports are set or
    /// the kind has no ports (ICMP).
    mutating func next(for target: ScheduledTarget, source: SocketAddress?) -> SocketAddress? {
        guard !ports.isEmpty, target.target.kind == .tcp || target.target.kind == .udp else { return source }
        let turn = turns[target.id] ?? Int(StableHash.mixed(target.id) % UInt64(ports.count))
        turns[target.id] = turn &+ 1
        let host = source?.ipAddress ?? (target.address.protocol == .inet6 ? "::" : "0.0.0.0")
        return try? SocketAddress(ipAddress: host, port: ports[turn % ports.count])
    }
}
