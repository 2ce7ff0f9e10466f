import PingmeshModel

/// When each target of one round is probed: pure arithmetic, so pacing and the pair rule can be
/// tested without a clock.
///
/// A target's send time is the round start plus its phase times the send window, so the probes
/// of a round leave evenly spread (the seeds' leaky bucket) rather than in one burst. The send
/// window is the interval less the longest timeout, so the last answer is in before the next
/// round is due and a round overruns only when probes are held back (the concurrency cap). The pair
/// rule holds regardless: a target is never sent sooner than `max(its interval, 10 s)` after its
/// previous probe; it is delayed within the round, or left to a later round when its own interval
/// is longer than the round.
public struct RoundPlan: Sendable {
    public struct Entry: Sendable {
        public var index: Int
        /// Offset from the round start.
        public var offset: Duration
    }

    public var entries: [Entry]
    /// Targets left out of this round because their own interval has not yet elapsed.
    public var deferred: Int

    /// - Parameters:
    ///   - targets: the round's targets.
    ///   - interval: the round length.
    ///   - roundStart: when the round starts, in the same time base as `lastSent`.
    ///   - lastSent: when each target (by id) was last probed, in that time base.
    public init(targets: [ScheduledTarget], interval: Duration, roundStart: Duration, lastSent: [String: Duration]) {
        var entries: [Entry] = []
        entries.reserveCapacity(targets.count)
        var deferred = 0
        let longestTimeout = targets.lazy.map(\.target.timeout).max() ?? .zero
        let window = max(interval - longestTimeout, .zero)
        for (index, scheduled) in targets.enumerated() {
            var offset = window * scheduled.phase
            if let last = lastSent[scheduled.id] {
                let spacing = max(scheduled.target.interval, SafetyLimits.minimumPairInterval)
                let earliest = last + spacing - roundStart
                if earliest > offset {
                    // Held back past the send window, it would make this round overrun: next round.
                    guard earliest <= window else {
                        deferred += 1
                        continue
                    }
                    offset = earliest
                }
            }
            entries.append(Entry(index: index, offset: offset))
        }
        entries.sort { $0.offset < $1.offset }
        self.entries = entries
        self.deferred = deferred
    }
}
