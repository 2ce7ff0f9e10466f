import PingmeshModel

/// When each target of one round is probed: pure arithmetic, so pacing and the pair rule can be
/// tested without a clock.
///
/// A target's send time is the round start plus its phase times the interval, so the probes
/// of a round leave evenly spread (the seeds' leaky bucket) rather than in one burst. The pair
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
        for (index, scheduled) in targets.enumerated() {
            var offset = interval * scheduled.phase
            if let last = lastSent[scheduled.id] {
                let spacing = max(scheduled.target.interval, SafetyLimits.minimumPairInterval)
                let earliest = last + spacing - roundStart
                if earliest > offset {
                    guard earliest < interval else {
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
