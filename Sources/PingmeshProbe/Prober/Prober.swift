import NIOCore
import PingmeshModel

/// Sends one kind of probe. Every kind answers through the same interface, so the scheduler,
/// metrics and `pingmesh probe` treat them alike.
public protocol Prober: Sendable {
    var kind: ProbeKind { get }
    /// Starts a probe; the future never fails: every ending, errors included, is an outcome.
    func start(_ request: ProbeRequest) -> EventLoopFuture<ProbeOutcome>
}

extension Prober {
    public func probe(_ request: ProbeRequest) async -> ProbeOutcome {
        do {
            return try await start(request).get()
        } catch {
            return ProbeOutcome(result: .error, detail: "\(error)")
        }
    }
}
