import PingmeshModel

/// Sends one kind of probe. Every kind answers through the same interface, so the scheduler,
/// metrics and `pingmesh probe` treat them alike.
public protocol Prober: Sendable {
    var kind: ProbeKind { get }
    /// Sends one probe and waits for its ending; every ending, errors included, is an outcome.
    func probe(_ request: ProbeRequest) async -> ProbeOutcome
}
