import NIOCore
import NIOPosix
import PingmeshModel

/// Turns a pinglist's targets into socket addresses before any probe is timed, so name
/// resolution never sits inside a measured RTT.
public struct TargetResolver: Sendable {
    public var supportedKinds: Set<ProbeKind>

    public init(supportedKinds: Set<ProbeKind>) {
        self.supportedKinds = supportedKinds
    }

    /// Literal addresses resolve at once; host names go through the system resolver (blocking,
    /// so this runs off the event loops). `ip_protocol` picks the family for host names.
    public func resolve(_ pinglist: Pinglist) async -> ResolvedPinglist {
        var targets: [ScheduledTarget] = []
        var skipped: [(target: ProbeTarget, reason: String)] = []
        targets.reserveCapacity(pinglist.targets.count)
        for target in pinglist.targets {
            guard supportedKinds.contains(target.kind) else {
                skipped.append((target, "no \(target.kind.rawValue) prober in this agent yet"))
                continue
            }
            do {
                let address = try await address(of: target, preference: pinglist.settings.ipProtocol)
                targets.append(ScheduledTarget(target: target, address: address))
            } catch {
                skipped.append((target, "cannot resolve \(target.host): \(error)"))
            }
        }
        return ResolvedPinglist(pinglist: pinglist, targets: targets, skipped: skipped)
    }

    private func address(of target: ProbeTarget, preference: IPProtocolPreference) async throws -> SocketAddress {
        if IPAddressFamily.of(literal: target.host) != nil {
            return try SocketAddress(ipAddress: target.host, port: target.port)
        }
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
