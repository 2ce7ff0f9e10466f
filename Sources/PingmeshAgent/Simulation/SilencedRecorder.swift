import Foundation
import PingmeshProbe

/// A simulated agent's recorder that records nothing while its server is down (an injected
/// server-down or tor-down): a dead server neither exports nor uploads, so the collector sees it
/// go silent, as it would a real one.
struct SilencedRecorder: ProbeRecorder {
    let inner: any ProbeRecorder
    let agent: String
    let injector: FaultInjector

    func record(_ outcome: ProbeOutcome, for target: ScheduledTarget, sentAt: Date) {
        guard !injector.isDown(agent: agent) else { return }
        inner.record(outcome, for: target, sentAt: sentAt)
    }
}
