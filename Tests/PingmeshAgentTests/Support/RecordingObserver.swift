import Foundation
import PingmeshAgent
import PingmeshModel
import PingmeshProbe
import Synchronization

/// Records the scheduler's events with virtual timestamps, and lets a test await a number of
/// finished rounds instead of sleeping.
final class RecordingObserver: SchedulerObserver, ProbeRecorder, Sendable {
    struct Send: Sendable {
        var id: String
        var at: Duration
        var round: Int
    }

    struct Round: Sendable {
        var start: Duration
        var end: Duration?
        var overran = false
        /// Targets left out of the round by the pair rule (their previous probe was too recent).
        var deferred = 0
    }

    private let state = Mutex<(sends: [Send], rounds: [Round], swaps: [(version: String, round: Int)])>(([], [], []))
    private let finished: AsyncStream<Int>.Continuation
    private let roundsFinished: AsyncStream<Int>
    private let sent: AsyncStream<Int>.Continuation
    private let sendCounts: AsyncStream<Int>

    init() {
        (roundsFinished, finished) = AsyncStream.makeStream(of: Int.self)
        (sendCounts, sent) = AsyncStream.makeStream(of: Int.self)
    }

    func roundStarted(at: Duration, targets: Int, deferred: Int) {
        state.withLock { $0.rounds.append(Round(start: at, deferred: deferred)) }
    }

    func roundFinished(at now: Duration, duration: Duration, overran: Bool) {
        let count = state.withLock { state -> Int in
            state.rounds[state.rounds.count - 1].end = now
            state.rounds[state.rounds.count - 1].overran = overran
            return state.rounds.count
        }
        finished.yield(count)
    }

    func probeStarted(_ target: ScheduledTarget, at: Duration) {
        let count = state.withLock { state -> Int in
            state.sends.append(Send(id: target.target.id, at: at, round: state.rounds.count - 1))
            return state.sends.count
        }
        sent.yield(count)
    }

    func probeFinished(_ target: ScheduledTarget) {}

    func pinglistSwapped(to pinglist: ResolvedPinglist) {
        state.withLock { $0.swaps.append((pinglist.pinglist.version, $0.rounds.count)) }
    }

    func record(_ outcome: ProbeOutcome, for target: ScheduledTarget, sentAt: Date) {
        records.withLock { $0.append((target.id, outcome.result)) }
    }

    private let records = Mutex<[(id: String, result: ProbeResultClass)]>([])
    /// Every outcome recorded, in order: probes' and the `unresolved` ones the scheduler records
    /// without a probe.
    var recorded: [(id: String, result: ProbeResultClass)] { records.withLock { $0 } }

    var sends: [Send] { state.withLock { $0.sends } }
    var rounds: [Round] { state.withLock { $0.rounds } }
    var swaps: [(version: String, round: Int)] { state.withLock { $0.swaps } }

    /// Waits until `count` rounds have finished.
    func waitForRounds(_ count: Int) async {
        for await finishedCount in roundsFinished where finishedCount >= count { return }
    }

    /// Waits until `count` probes have been sent in all.
    func waitForSends(_ count: Int) async {
        for await sentCount in sendCounts where sentCount >= count { return }
    }
}
