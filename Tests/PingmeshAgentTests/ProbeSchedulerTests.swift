import Testing

@testable import PingmeshAgent
@testable import PingmeshModel

/// The scheduler's real run loop on a clock 50x faster than real time: a 10 s round takes
/// 200 ms, so the rules are checked over many rounds in a few seconds.
@Suite("Probe scheduler", .serialized)
struct ProbeSchedulerTests {
    let clock = ScaledClock(scale: 50)

    private func start(
        _ list: ResolvedPinglist, answerAfter: Duration
    ) -> (ProbeScheduler<ScaledClock>, FakeProber, RecordingObserver, Task<Void, Never>) {
        let prober = FakeProber(clock: clock, answerAfter: answerAfter)
        let observer = RecordingObserver()
        let scheduler = ProbeScheduler(clock: clock, probers: [.tcp: prober], recorder: observer, observer: observer)
        scheduler.update(list)
        let task = Task { await scheduler.run() }
        return (scheduler, prober, observer, task)
    }

    @Test("a target whose name has no address is never probed; each round records it unresolved, at its place in the round")
    func unresolvedRecordedEachRound() async throws {
        var list = Fixtures.pinglist(count: 3)
        let nameless = ProbeTarget(name: "svc", group: "g", kind: .tcp, host: "svc.invalid", port: 443, timeout: .seconds(1))
        list.unresolved = [ScheduledTarget(unresolved: nameless, reason: "cannot resolve svc.invalid: not known")]
        let (_, prober, observer, task) = start(list, answerAfter: .milliseconds(1))
        await observer.waitForRounds(3)
        task.cancel()
        await task.value
        let rounds = observer.rounds.count
        let unresolved = observer.recorded.filter { $0.id == nameless.id }
        #expect(unresolved.allSatisfy { $0.result == .unresolved })
        #expect(unresolved.count >= 3 && unresolved.count <= rounds, "one a round: \(unresolved.count) in \(rounds) rounds")
        #expect(!observer.sends.contains { $0.id == nameless.id }, "nothing sent to a target without an address")
        #expect(prober.count == observer.sends.count)
        #expect(observer.recorded.filter { $0.id != nameless.id }.allSatisfy { $0.result != .unresolved })
    }

    @Test("rounds never overlap; a round longer than its interval is an overrun and the next starts at once")
    func noOverlapAndOverrun() async {
        // Every probe takes 15 s, longer than the 10 s interval.
        let (_, _, observer, task) = start(Fixtures.pinglist(count: 4), answerAfter: .seconds(15))
        await observer.waitForRounds(3)
        task.cancel()
        await task.value
        let rounds = observer.rounds
        for (previous, next) in zip(rounds, rounds.dropFirst()) {
            let end = try! #require(previous.end)
            #expect(next.start >= end, "a round starts only after the previous one ended")
            #expect(next.start - end < .seconds(1), "after an overrun the next round starts at once")
            #expect(previous.overran)
        }
        for send in observer.sends {
            let round = rounds[send.round]
            #expect(send.at >= round.start && send.at <= (round.end ?? .seconds(1_000_000)), "every probe of a round is sent within it")
        }
    }

    @Test("the 10 s pair rule holds across overruns")
    func pairRule() async {
        let (_, _, observer, task) = start(Fixtures.pinglist(count: 12), answerAfter: .seconds(14))
        await observer.waitForRounds(4)
        task.cancel()
        await task.value
        let byTarget = Dictionary(grouping: observer.sends, by: \.id)
        #expect(byTarget.count == 12)
        for (_, sends) in byTarget {
            let times = sends.map(\.at).sorted()
            #expect(times.count >= 3)
            for (earlier, later) in zip(times, times.dropFirst()) {
                #expect(later - earlier >= SafetyLimits.minimumPairInterval, "\(later - earlier)")
            }
        }
    }

    @Test("no more probes in flight than the concurrency cap")
    func concurrencyCap() async {
        let (_, prober, observer, task) = start(Fixtures.pinglist(count: 20, concurrency: 3), answerAfter: .seconds(2))
        await observer.waitForRounds(1)
        task.cancel()
        await task.value
        #expect(prober.maxInFlight == 3)
        #expect(prober.count >= 20)
    }

    @Test("probes of a round are spread over it at their phases")
    func pacing() async {
        let list = Fixtures.pinglist(count: 40)
        let (_, _, observer, task) = start(list, answerAfter: .milliseconds(1))
        await observer.waitForRounds(1)
        task.cancel()
        await task.value
        let round = observer.rounds[0]
        #expect(!round.overran, "probes answered at once leave the round within its interval")
        let phases = Dictionary(uniqueKeysWithValues: list.targets.map { ($0.target.id, $0.phase) })
        let firstRound = observer.sends.filter { $0.round == 0 }
        #expect(firstRound.count == 40)
        for send in firstRound {
            let planned = round.start + .seconds(9) * phases[send.id]!  // the window: interval less the 1 s timeout
            // Never early; late by at most scheduling noise (3 s virtual = 60 ms real).
            #expect(send.at >= planned && send.at - planned < .seconds(3), "\(send.at - planned)")
        }
    }

    @Test("a new pinglist swaps in only at a round boundary; the running round finishes with the old one")
    func swapAtBoundary() async {
        let old = Fixtures.pinglist(count: 6, version: "old")
        let new = Fixtures.pinglist(count: 6, version: "new", firstHost: 100)
        let (scheduler, _, observer, task) = start(old, answerAfter: .milliseconds(1))
        await observer.waitForRounds(1)
        // Mid-round: the second round has sent at least one probe.
        await observer.waitForSends(7)
        scheduler.update(new)
        await observer.waitForRounds(4)
        task.cancel()
        await task.value

        let swaps = observer.swaps
        #expect(swaps.map(\.version) == ["old", "new"])
        let swapRound = swaps[1].round
        #expect(swapRound == 2, "the update came during round 1, so the new list starts with round 2")
        let oldIDs = Set(old.targets.map(\.target.id))
        let newIDs = Set(new.targets.map(\.target.id))
        let sends = observer.sends
        #expect(sends.filter { oldIDs.contains($0.id) }.allSatisfy { $0.round < swapRound })
        #expect(sends.filter { newIDs.contains($0.id) }.allSatisfy { $0.round >= swapRound })
        // A target the pair rule deferred (its round-0 probe went out late on a loaded machine:
        // 60 ms real is 3 s on this clock) is the only reason one may be missing.
        #expect(
            sends.filter { $0.round == 1 }.count + observer.rounds[1].deferred == 6,
            "the round running at the update finished its whole old list")
    }

    @Test("an idle scheduler starts as soon as a list arrives, not a round later")
    func idleWakesOnUpdate() async {
        let prober = FakeProber(clock: clock, answerAfter: .milliseconds(1))
        let observer = RecordingObserver()
        let scheduler = ProbeScheduler(clock: clock, probers: [.tcp: prober], recorder: observer, observer: observer)
        let task = Task { await scheduler.run() }
        try? await clock.sleep(for: .seconds(25))
        #expect(observer.rounds.isEmpty, "no rounds without a list")
        let list = Fixtures.pinglist(count: 1)
        let updatedAt = clock.now
        scheduler.update(list)
        await observer.waitForSends(1)
        let sentBy = updatedAt.duration(to: clock.now)
        task.cancel()
        await task.value
        // The target goes out at its phase in the first round; waiting for a round boundary
        // would add a whole interval (10 s).
        let phaseOffset = Duration.seconds(9) * list.targets[0].phase
        #expect(sentBy < phaseOffset + .seconds(3), "sent \(sentBy) after the update; its phase is \(phaseOffset)")
    }
}
