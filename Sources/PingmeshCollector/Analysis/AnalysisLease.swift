import Foundation
import Logging
import Synchronization

/// Which collector replica rolls up, analyses and notifies: the one holding the store's
/// `analysis` lease. The holder renews it every maintenance round; when it stops (it died, or
/// lost its store), another replica takes the lease once it has expired, `seconds` after the
/// last renewal, which keeps a takeover within two analysis windows. A graceful stop gives it
/// up at once. Every replica serves uploads and queries either way.
public final class AnalysisLease: Sendable {
    public static let name = "analysis"
    /// Who this replica is in the store: host, process and a random part, unique per start.
    public let holder: String
    public let seconds: Int64
    let store: any ResultStore
    let logger: Logger
    private let held = Mutex(false)

    public init(store: any ResultStore, holder: String = AnalysisLease.uniqueHolder(), seconds: Int64 = 60, logger: Logger) {
        self.store = store
        self.holder = holder
        self.seconds = seconds
        self.logger = logger
    }

    public static func uniqueHolder() -> String {
        // gethostname, not ProcessInfo.hostName, which may wait on DNS for the canonical name.
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0 ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        return "\(host)/\(getpid())/\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Whether this replica held the lease at its last renewal.
    public var isHeld: Bool { held.withLock { $0 } }

    /// Takes or renews the lease. False when another replica holds it, and when the store cannot
    /// be asked: a replica that cannot reach the store must not assume it leads.
    public func renew(now: Int64) async -> Bool {
        let holds: Bool
        do {
            holds = try await store.acquireLease(Self.name, holder: holder, now: now, seconds: seconds)
        } catch {
            logger.error("cannot renew the analysis lease; standing by", metadata: ["error": "\(error)"])
            holds = false
        }
        let before = held.withLock { held in
            defer { held = holds }
            return held
        }
        if holds != before {
            logger.notice(
                holds
                    ? "this replica rolls up, analyses and notifies (it holds the analysis lease)"
                    : "another replica rolls up, analyses and notifies; this one serves what the store holds",
                metadata: ["holder": "\(holder)"])
        }
        return holds
    }

    /// Gives the lease up, so another replica takes over at its next round.
    public func release() async {
        guard isHeld else { return }
        try? await store.releaseLease(Self.name, holder: holder)
        held.withLock { $0 = false }
    }
}
