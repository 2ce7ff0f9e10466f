import Foundation
import PingmeshProbe

/// Receives every probe outcome: metrics, and window summaries for the collector.
public protocol ProbeRecorder: Sendable {
    /// `sentAt` is the wall-clock time the probe left: result windows are aligned on Unix time,
    /// and a probe belongs to the window it was sent in, however late its answer comes.
    func record(_ outcome: ProbeOutcome, for target: ScheduledTarget, sentAt: Date)
}

extension ProbeRecorder {
    /// Records a probe that left just now.
    public func record(_ outcome: ProbeOutcome, for target: ScheduledTarget) {
        record(outcome, for: target, sentAt: Date())
    }
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
