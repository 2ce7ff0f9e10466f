import PingmeshModel
import Synchronization

/// Host names in the pinglist (a Kubernetes service such as kubernetes.default.svc, a load
/// balancer's name) are resolved again every `interval`, not only when the list changes: the
/// addresses behind a name move, and probing the old one would report a healthy service as
/// down. New addresses reach the scheduler at its next round; a list of literal addresses is
/// never resolved again. A name that stops resolving keeps being probed at its last address
/// until it resolves again, rather than vanishing from the mesh; a name that has never resolved
/// stays `unresolved` (recorded so every round) until it does.
final class NameRefresh: Sendable {
    let interval: Duration
    /// The list the scheduler runs now.
    private let current = Mutex<ResolvedPinglist?>(nil)

    init(interval: Duration) {
        self.interval = interval
    }

    /// A newly loaded list, as it was resolved.
    func loaded(_ resolved: ResolvedPinglist) {
        current.withLock { $0 = resolved }
    }

    /// Every `interval`: resolve the current list's names again and hand the scheduler the list
    /// when an address changed (or a name that failed now resolves). Returns when cancelled.
    func run(resolve: @Sendable (Pinglist) async -> ResolvedPinglist, apply: @Sendable (ResolvedPinglist) -> Void) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            guard !Task.isCancelled, let before = current.withLock({ $0 }), Self.hasNames(before.pinglist) else { continue }
            let fresh = Self.keepingLastAddresses(await resolve(before.pinglist), from: before)
            guard Self.addresses(fresh) != Self.addresses(before) else { continue }
            // Only if no newer list was loaded meanwhile.
            let replaced = current.withLock { value -> Bool in
                guard value?.pinglist.version == before.pinglist.version else { return false }
                value = fresh
                return true
            }
            if replaced { apply(fresh) }
        }
    }

    /// A name that fails now keeps its last address: it moves from `unresolved` back to the
    /// probed targets as it was before.
    static func keepingLastAddresses(_ fresh: ResolvedPinglist, from before: ResolvedPinglist) -> ResolvedPinglist {
        var fresh = fresh
        let known = Dictionary(before.targets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let resolvedIDs = Set(fresh.targets.map(\.id))
        var stillUnresolved: [ScheduledTarget] = []
        for target in fresh.unresolved {
            if let last = known[target.id], !resolvedIDs.contains(target.id) {
                fresh.targets.append(last)
            } else {
                stillUnresolved.append(target)
            }
        }
        fresh.unresolved = stillUnresolved
        return fresh
    }

    static func hasNames(_ pinglist: Pinglist) -> Bool {
        pinglist.targets.contains { IPAddressFamily.of(literal: $0.host) == nil }
    }

    static func addresses(_ resolved: ResolvedPinglist) -> [String: String] {
        Dictionary(resolved.targets.map { ($0.id, "\($0.address)") }, uniquingKeysWith: { first, _ in first })
    }
}
