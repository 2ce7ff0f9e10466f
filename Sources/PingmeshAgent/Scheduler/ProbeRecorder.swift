import PingmeshProbe

/// Receives every probe outcome: metrics today, window summaries for the collector later.
public protocol ProbeRecorder: Sendable {
    func record(_ outcome: ProbeOutcome, for target: ScheduledTarget)
}

/// What the scheduler tells about its rounds.
public protocol SchedulerObserver: Sendable {
    func roundStarted(targets: Int, deferred: Int)
    func roundFinished(duration: Duration, overran: Bool)
    func probeStarted()
    func probeFinished()
    func pinglistSwapped(to pinglist: ResolvedPinglist)
}
