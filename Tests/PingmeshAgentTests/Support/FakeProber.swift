import Foundation
import PingmeshModel
import PingmeshProbe
import Synchronization

/// A prober that answers after a set (virtual) time and records what it saw.
final class FakeProber: Prober, Sendable {
    let kind = ProbeKind.tcp
    private let clock: ScaledClock
    private let answerAfter: Duration
    private let state = Mutex<(inFlight: Int, maxInFlight: Int, count: Int)>((0, 0, 0))

    init(clock: ScaledClock, answerAfter: Duration) {
        self.clock = clock
        self.answerAfter = answerAfter
    }

    func probe(_ request: ProbeRequest) async -> ProbeOutcome {
        state.withLock {
            $0.inFlight += 1
            $0.count += 1
            $0.maxInFlight = max($0.maxInFlight, $0.inFlight)
        }
        try? await clock.sleep(for: answerAfter)
        state.withLock { $0.inFlight -= 1 }
        return .answered(rtt: .microseconds(100), delay: request.delay)
    }

    var maxInFlight: Int { state.withLock { $0.maxInFlight } }
    var count: Int { state.withLock { $0.count } }
}
