import Testing

@testable import PingmeshAgent
@testable import PingmeshModel

@Suite("Round plan: pacing and the pair rule")
struct RoundPlanTests {
    @Test("1,000 targets leave evenly spread over the round, not in a burst")
    func pacing() {
        let list = Fixtures.pinglist(count: 1000)
        let plan = RoundPlan(targets: list.targets, interval: .seconds(10), roundStart: .zero, lastSent: [:])
        #expect(plan.entries.count == 1000)
        // Sends fit in the interval less the 1 s timeout, so the last answer is in before the next round.
        #expect(plan.entries.allSatisfy { $0.offset >= .zero && $0.offset < .seconds(9) })
        // Nine 1 s buckets: a uniform spread puts ~111 in each; a burst would put 1,000 in one.
        var buckets = [Int](repeating: 0, count: 9)
        for entry in plan.entries { buckets[Int(entry.offset.seconds)] += 1 }
        #expect(buckets.allSatisfy { (70...150).contains($0) }, "\(buckets)")
        // No 100 ms window holds more than 3x its fair share.
        var windows = [Int](repeating: 0, count: 90)
        for entry in plan.entries { windows[Int(entry.offset.seconds * 10)] += 1 }
        #expect(windows.max()! <= 30, "\(windows.max()!)")
        #expect(zip(plan.entries, plan.entries.dropFirst()).allSatisfy { $0.offset <= $1.offset }, "sorted by send time")
    }

    @Test("a target's phase depends only on its id, so changing the list around it keeps it")
    func stablePhases() {
        let small = Fixtures.pinglist(count: 10)
        let large = Fixtures.pinglist(count: 500)
        for (index, target) in small.targets.enumerated() {
            #expect(target.phase == large.targets[index].phase)
            #expect(target.phase == ScheduledTarget.phase(of: target.target.id))
        }
    }

    @Test("a target probed less than 10 s ago waits until 10 s have passed")
    func pairRuleDelays() {
        let list = Fixtures.pinglist(count: 1)
        let id = list.targets[0].target.id
        // The send window is the interval less the 1 s timeout.
        let phaseOffset = Duration.seconds(9) * list.targets[0].phase
        // Previous round overran: this one starts at 100 s, the target was sent at 96 s.
        let plan = RoundPlan(targets: list.targets, interval: .seconds(10), roundStart: .seconds(100), lastSent: [id: .seconds(96)])
        #expect(plan.entries[0].offset == max(phaseOffset, .seconds(6)))
        #expect(Duration.seconds(100) + plan.entries[0].offset - .seconds(96) >= SafetyLimits.minimumPairInterval)
    }

    @Test("the pair rule holds even when a list asks for less (interval enforced at 10 s)")
    func pairRuleFloor() {
        var list = Fixtures.pinglist(count: 1)
        var target = list.targets[0].target
        target.interval = .seconds(1)  // cannot come from a validated file; the plan holds anyway
        list.targets[0] = ScheduledTarget(target: target, address: list.targets[0].address)
        let id = list.targets[0].target.id
        let plan = RoundPlan(targets: list.targets, interval: .seconds(10), roundStart: .seconds(50), lastSent: [id: .seconds(49)])
        let sendAt = Duration.seconds(50) + (plan.entries.first?.offset ?? .seconds(100))
        #expect(plan.entries.isEmpty || sendAt - .seconds(49) >= .seconds(10))
    }

    @Test("a target whose own interval is longer than the round is left to a later round")
    func longerTargetIntervalDefers() {
        let list = Fixtures.pinglist(count: 1, targetInterval: .seconds(30))
        let id = list.targets[0].target.id
        let phase = Duration.seconds(9) * list.targets[0].phase
        var sent: [Duration] = [phase]
        for round in 1..<7 {
            let start = Duration.seconds(10 * round)
            let plan = RoundPlan(targets: list.targets, interval: .seconds(10), roundStart: start, lastSent: [id: sent.last!])
            if let entry = plan.entries.first { sent.append(start + entry.offset) } else { #expect(plan.deferred == 1) }
        }
        #expect(sent.count == 3, "sent in rounds 0, 3 and 6: \(sent)")
        #expect(zip(sent, sent.dropFirst()).allSatisfy { $1 - $0 >= .seconds(30) })
    }
}
