import Foundation
import PingmeshModel
import PingmeshProbe
import Synchronization

/// Runs the tasks an agent is handed: each at most once (a task id seen before is ignored, even
/// when a second controller replica hands it out again), none after it expired, at most
/// `maximumConcurrent` at a time and at most one start per `startGap`, so tasks cannot turn an
/// agent into a load generator.
public final class TaskRunner: Sendable {
    public let maximumConcurrent: Int
    public let startGap: Duration
    private let probe: any ManualProbing
    /// The agent's probing address (`--source-address`), for traceroutes.
    private let sourceAddress: String?
    private let limiter: ConcurrencyLimiter
    private let state = Mutex(State())
    private let now: @Sendable () -> Int64

    private struct State {
        var seen: Set<String> = []
        /// Ids in the order seen, so the oldest are forgotten first.
        var seenOrder: [String] = []
        var lastStart: ContinuousClock.Instant?
    }

    /// Task ids remembered for the at-most-once check; tasks expire within an hour, far sooner
    /// than this many arrive.
    static let rememberedIds = 4096

    public init(
        probe: any ManualProbing, sourceAddress: String? = nil, maximumConcurrent: Int = 2, startGap: Duration = .milliseconds(250),
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.probe = probe
        self.sourceAddress = sourceAddress
        self.maximumConcurrent = maximumConcurrent
        self.startGap = startGap
        self.limiter = ConcurrencyLimiter(limit: maximumConcurrent)
        self.now = now
    }

    /// Whether `dispatch` is new and unexpired; records it as seen when it is.
    public func admit(_ dispatch: TaskDispatch) -> Bool {
        guard now() < dispatch.expiresAt else { return false }
        return state.withLock { state in
            guard state.seen.insert(dispatch.id).inserted else { return false }
            state.seenOrder.append(dispatch.id)
            if state.seenOrder.count > Self.rememberedIds {
                state.seen.remove(state.seenOrder.removeFirst())
            }
            return true
        }
    }

    /// Runs an admitted task under the caps and returns what to report.
    public func run(_ dispatch: TaskDispatch) async -> TaskOutcome {
        await limiter.acquire()
        defer { limiter.release() }
        await waitForStartSlot()
        guard now() < dispatch.expiresAt else { return TaskOutcome(error: "expired before it could start (the agent was busy)") }
        switch dispatch.action {
        case .probe(let request):
            do {
                return TaskOutcome(probe: try await probe.probe(request))
            } catch {
                return TaskOutcome(error: "\(error)")
            }
        case .traceroute(var request):
            // From the agent's probing address, as its probes leave, unless the task names one.
            if request.sourceAddress == nil, let source = sourceAddress,
                IPAddressFamily.of(literal: source) == IPAddressFamily.of(literal: request.target)
            {
                request.sourceAddress = source
            }
            do {
                return TaskOutcome(traceroute: try await Traceroute.run(request))
            } catch {
                return TaskOutcome(error: "\(error)")
            }
        }
    }

    /// Sleeps until `startGap` has passed since the previous start, and claims the slot.
    private func waitForStartSlot() async {
        while true {
            let wait = state.withLock { state -> Duration in
                let now = ContinuousClock.now
                if let last = state.lastStart, last.duration(to: now) < startGap { return startGap - last.duration(to: now) }
                state.lastStart = now
                return .zero
            }
            guard wait > .zero else { return }
            try? await Task.sleep(for: wait)
        }
    }
}
