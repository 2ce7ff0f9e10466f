import NIOCore
import NIOPosix
import PingmeshModel

/// Turns a pinglist's targets into socket addresses before any probe is timed, so name
/// resolution never sits inside a measured RTT. How long each name took is kept with the target
/// (its own phase, as blackbox_exporter reports `probe_dns_lookup_time_seconds`).
public struct TargetResolver: Sendable {
    public var supportedKinds: Set<ProbeKind>

    public init(supportedKinds: Set<ProbeKind>) {
        self.supportedKinds = supportedKinds
    }

    /// Literal addresses resolve at once; host names go through the system resolver (blocking,
    /// so this runs off the event loops). `ip_protocol` picks the family for host names.
    public func resolve(_ pinglist: Pinglist) async -> ResolvedPinglist {
        var targets: [ScheduledTarget] = []
        var unresolved: [ScheduledTarget] = []
        var skipped: [(target: ProbeTarget, reason: String)] = []
        targets.reserveCapacity(pinglist.targets.count)
        for target in pinglist.targets {
            guard supportedKinds.contains(target.kind) else {
                skipped.append((target, "no \(target.kind.rawValue) prober in this agent yet"))
                continue
            }
            if IPAddressFamily.of(literal: target.host) != nil {
                do {
                    targets.append(ScheduledTarget(target: target, address: try SocketAddress(ipAddress: target.host, port: target.port)))
                } catch {
                    skipped.append((target, "cannot use address \(target.host): \(error)"))
                }
                continue
            }
            let clock = ContinuousClock()
            let started = clock.now
            do {
                let address = try await address(of: target, preference: pinglist.settings.ipProtocol)
                targets.append(ScheduledTarget(target: target, address: address, resolveTime: started.duration(to: clock.now)))
            } catch {
                unresolved.append(
                    ScheduledTarget(
                        unresolved: target, reason: "cannot resolve \(target.host): \(error)", resolveTime: started.duration(to: clock.now)))
            }
        }
        return ResolvedPinglist(pinglist: pinglist, targets: targets, unresolved: unresolved, skipped: skipped)
    }

    private func address(of target: ProbeTarget, preference: IPProtocolPreference) async throws -> SocketAddress {
        let (host, port) = (target.host, target.port)
        return try await NIOThreadPool.singleton.runIfActive {
            let all = try HostResolution.addresses(host: host, port: port)
            let preferred = all.first { address in
                switch (preference, address.protocol) {
                case (.both, _), (.ip4, .inet), (.ip6, .inet6): return true
                default: return false
                }
            }
            guard let chosen = preferred else {
                throw ResolutionError(message: "no \(preference.rawValue) address")
            }
            return chosen
        }
    }
}

struct ResolutionError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
