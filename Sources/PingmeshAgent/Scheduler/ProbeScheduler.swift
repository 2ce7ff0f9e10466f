import Foundation
import Logging
import NIOCore
import PingmeshModel
import PingmeshProbe
import Synchronization

/// Runs an agent's rounds: every target once per interval at its phase, at most `concurrency`
/// probes in flight, and a round never overlaps the next. A new pinglist waits for the round
/// boundary (double buffer). A round that runs past its interval is an overrun: it is counted
/// and the next round starts at once. A target whose name has no address keeps its place in
/// the round and records an `unresolved` result there instead of a probe.
///
/// Generic over the clock so tests can run rounds of 10 s in milliseconds.
public final class ProbeScheduler<C: Clock>: Sendable where C.Duration == Duration {
    private let clock: C
    private let probers: [ProbeKind: any Prober]
    private let recorder: any ProbeRecorder
    private let observer: (any SchedulerObserver)?
    private let logger: Logger
    private let pending = Mutex<ResolvedPinglist?>(nil)
    /// Wakes an idle scheduler (no targets) as soon as a list arrives, instead of a round later.
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    /// Where probes leave from when the pinglist names no source address.
    private let defaultSourceAddress: String?

    public init(
        clock: C, probers: [ProbeKind: any Prober], recorder: any ProbeRecorder,
        observer: (any SchedulerObserver)? = nil, defaultSourceAddress: String? = nil, logger: Logger = Logger(label: "pingmesh.scheduler")
    ) {
        self.defaultSourceAddress = defaultSourceAddress
        self.clock = clock
        self.probers = probers
        self.recorder = recorder
        self.observer = observer
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The kinds this scheduler can probe; targets of other kinds are skipped at resolution.
    public var supportedKinds: Set<ProbeKind> { Set(probers.keys) }

    /// Hands over a new pinglist; it takes effect at the next round boundary.
    public func update(_ pinglist: ResolvedPinglist) {
        pending.withLock { $0 = pinglist }
        wake.yield()
    }

    /// Runs rounds until the task is cancelled; probes in flight are awaited before it returns.
    public func run() async {
        let origin = clock.now
        var current = ResolvedPinglist.empty
        // The round's targets, probed and unresolved, as `current.scheduled` (built once per list).
        var targets: [ScheduledTarget] = []
        var sourceAddress: SocketAddress?
        var lastSent: [String: Duration] = [:]
        var portRotation = SourcePortRotation()
        var roundStart = origin
        var wakeup = wakeups.makeAsyncIterator()

        while !Task.isCancelled {
            if targets.isEmpty, pending.withLock({ $0 == nil }) {
                // Nothing to probe: wait for a list rather than sleep through empty rounds.
                guard await wakeup.next() != nil, !Task.isCancelled else { break }
                roundStart = clock.now
                continue
            }
            if let next = pending.withLock({ value -> ResolvedPinglist? in
                defer { value = nil }; return value
            }) {
                current = next
                targets = next.scheduled
                sourceAddress = (next.pinglist.settings.sourceAddress ?? defaultSourceAddress).flatMap { try? SocketAddress(ipAddress: $0, port: 0) }
                let ids = Set(targets.map(\.id))
                lastSent = lastSent.filter { ids.contains($0.key) }
                portRotation.update(ports: next.pinglist.settings.sourcePorts, targets: Set(next.targets.map(\.id)))
                observer?.pinglistSwapped(to: next)
            }
            let interval = max(current.pinglist.settings.interval, SafetyLimits.minimumPairInterval)
            let plan = RoundPlan(
                targets: targets, interval: interval, roundStart: origin.duration(to: roundStart), lastSent: lastSent
            )
            observer?.roundStarted(at: origin.duration(to: roundStart), targets: plan.entries.count, deferred: plan.deferred)
            let cap = max(1, min(current.pinglist.settings.concurrency, SafetyLimits.maximumConcurrency))
            let source = sourceAddress
            let dscp = current.pinglist.settings.dscp

            let limiter = ConcurrencyLimiter(limit: cap)
            await withDiscardingTaskGroup { group in
                for entry in plan.entries {
                    do {
                        try await clock.sleep(until: roundStart.advanced(by: entry.offset), tolerance: nil)
                    } catch {
                        break  // cancelled: stop launching, let the launched ones finish
                    }
                    let scheduled = targets[entry.index]
                    if let unresolved = scheduled.unresolvedOutcome {
                        lastSent[scheduled.id] = origin.duration(to: clock.now)
                        recorder.record(unresolved, for: scheduled, sentAt: Date())
                        continue
                    }
                    guard let prober = probers[scheduled.target.kind] else { continue }
                    await limiter.acquire()
                    let sentAt = origin.duration(to: clock.now)
                    let sentAtWallClock = Date()
                    lastSent[scheduled.id] = sentAt
                    observer?.probeStarted(scheduled, at: sentAt)
                    let request = scheduled.request(sourceAddress: portRotation.next(for: scheduled, source: source), dscp: dscp)
                    // A prober with a thread of its own (TCP, UDP, ICMP) runs the task there, so
                    // its reply resumes it with no hand-off to the pool.
                    group.addTask(executorPreference: prober.preferredExecutor) { [recorder, observer] in
                        let outcome = await prober.probe(request)
                        limiter.release()
                        recorder.record(outcome, for: scheduled, sentAt: sentAtWallClock)
                        observer?.probeFinished(scheduled)
                    }
                }
            }

            let end = clock.now
            let elapsed = roundStart.duration(to: end)
            let overran = elapsed > interval
            observer?.roundFinished(at: origin.duration(to: end), duration: elapsed, overran: overran)
            if overran {
                logger.warning("round overran its interval", metadata: ["elapsed": "\(elapsed)", "interval": "\(interval)"])
                roundStart = end
            } else {
                let next = roundStart.advanced(by: interval)
                do {
                    try await clock.sleep(until: next, tolerance: nil)
                } catch {
                    break
                }
                roundStart = next
            }
        }
    }
}
