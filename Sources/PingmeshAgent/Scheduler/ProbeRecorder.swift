import PingmeshProbe

/// Receives every probe outcome: metrics today, window summaries for the collector later.
public protocol ProbeRecorder: Sendable {
    func record(_ outcome: ProbeOutcome, for target: ScheduledTarget)
}

/// What the scheduler tells about its rounds. Every `at` is an offset from the scheduler's
/// start on its clock, so events compare exactly.
public protocol SchedulerObserver: Sendable {
    func roundStarted(at: Duration, targets: Int, deferred: Int)
    func roundFinished(at: Duration, duration: Duration, overran: Bool)
    /// A probe leaves; `at` is the send time the pair rule is kept on, as an offset from the
    /// scheduler's start.
    func probeStarted(_ target: ScheduledTarget, at: Duration)
    func probeFinished(_ target: ScheduledTarget)
    func pinglistSwapped(to pinglist: ResolvedPinglist)
}
