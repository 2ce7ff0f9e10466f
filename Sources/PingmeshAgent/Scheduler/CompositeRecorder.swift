import Foundation
import PingmeshProbe

/// Hands every outcome to several recorders in turn (metrics and result windows), so each
/// stays a single concern.
public struct CompositeRecorder: ProbeRecorder {
    public let recorders: [any ProbeRecorder]

    public init(_ recorders: [any ProbeRecorder]) {
        self.recorders = recorders
    }

    public func record(_ outcome: ProbeOutcome, for target: ScheduledTarget, sentAt: Date) {
        for recorder in recorders { recorder.record(outcome, for: target, sentAt: sentAt) }
    }
}
