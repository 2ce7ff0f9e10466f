import PingmeshModel

/// Sends one kind of probe. Every kind answers through the same interface, so the scheduler,
/// metrics and `pingmesh probe` treat them alike.
public protocol Prober: Sendable {
    var kind: ProbeKind { get }
    /// Where a task that sends this kind's probes should run, if the prober has a thread of its
    /// own that reads the replies: the task is then resumed where its reply was read.
    var preferredExecutor: (any TaskExecutor)? { get }
    /// Sends one probe and waits for its ending; every ending, errors included, is an outcome.
    func probe(_ request: ProbeRequest) async -> ProbeOutcome
}

extension Prober {
    public var preferredExecutor: (any TaskExecutor)? { nil }
}
