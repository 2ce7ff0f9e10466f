import Foundation
import Logging
import PingmeshModel

/// Analyses each settled one-minute window once, in order, feeds the incident tracker and sends
/// what changed. On its first round it replays the last `replayWindows` windows without sending
/// webhooks, so a restarted collector knows its open incidents again without announcing them
/// twice (Alertmanager still gets them: it is sent the open incidents every round).
public final class WindowAnalyzer: Sendable {
    public let store: any ResultStore
    public let tracker: IncidentTracker
    public let localizer: FaultLocalizer
    let notifier: IncidentNotifier?
    /// Traceroutes on demand for opened network incidents; nil when no controller is known.
    let tracer: TracerouteRequester?
    let logger: Logger
    let replayWindows: Int64
    /// The fabric as the topology describes it: its shape decides the components analysis knows.
    public let fabric: FabricDescription

    public init(
        store: any ResultStore, tracker: IncidentTracker = IncidentTracker(), localizer: FaultLocalizer = FaultLocalizer(),
        notifier: IncidentNotifier? = nil, tracer: TracerouteRequester? = nil, fabric: FabricDescription = .standard, logger: Logger,
        replayWindows: Int = 10
    ) {
        self.fabric = fabric
        self.tracer = tracer
        self.store = store
        self.tracker = tracker
        self.localizer = localizer
        self.notifier = notifier
        self.logger = logger
        self.replayWindows = Int64(max(0, replayWindows))
    }

    /// The newest minute window whose uploads have settled at `now`.
    public static func settledWindow(now: Int64) -> Int64 {
        Resolution.minute.windowStart(now - 60 - RollupEngine.settle(.minute))
    }

    /// Findings for the window starting at `window`, computed now from the stored rows.
    public func findings(window: Int64) async throws -> [Finding] {
        localizer.analyze(try await WindowEvidence.load(from: store, window: window, shape: fabric.shape))
    }

    /// Analyses every settled window not analysed yet; returns the events it produced.
    @discardableResult
    public func runOnce(now: Int64) async throws -> [IncidentEvent] {
        let settled = Self.settledWindow(now: now)
        let replaying = tracker.lastWindow == nil
        // After a long pause, catch up on the last windows only: incidents are about now.
        let first = max(tracker.lastWindow.map { $0 + 60 } ?? settled - replayWindows * 60, settled - 60 * 60)
        guard first <= settled else { return [] }
        var events: [IncidentEvent] = []
        for window in stride(from: first, through: settled, by: 60) {
            let findings = try await findings(window: window)
            let changes = tracker.record(window: window, findings: findings)
            for change in changes {
                logger.notice(
                    "incident \(change.change.rawValue)",
                    metadata: [
                        "id": "\(change.incident.id)", "kind": "\(change.incident.kind.rawValue)", "scope": "\(change.incident.scope)",
                        "window": "\(window)",
                    ])
            }
            events += changes
        }
        if let tracer, !replaying {
            for event in events where event.change == .opened && TracerouteRequester.wants(event.incident) {
                trace(event.incident, with: tracer)
            }
        }
        if let notifier {
            if !replaying { await notifier.send(events) }
            let recent = tracker.resolved.filter { ($0.endedAt ?? 0) >= settled - 15 * 60 }
            await notifier.refreshAlerts(open: tracker.open, resolved: recent, now: Date(timeIntervalSince1970: TimeInterval(now)))
        }
        return events
    }

    /// Traces the incident in the background (a traceroute takes seconds to minutes; analysis
    /// goes on) and attaches what comes back.
    private func trace(_ incident: Incident, with tracer: TracerouteRequester) {
        guard tracer.begin() else {
            logger.warning("incident not traced: too many traceroutes in flight", metadata: ["id": "\(incident.id)"])
            return
        }
        let (store, tracker, logger, fabric) = (self.store, self.tracker, self.logger, self.fabric)
        Task {
            defer { tracer.end() }
            let traces = await tracer.traceroutes(for: incident, store: store)
            let placements = (try? await store.placements()) ?? [:]
            let located = PathVoting(fabric: fabric, placements: placements).verdict(traces, for: incident.component)
            tracker.attach(traces, located: located, to: incident.id)
            logger.notice(
                "incident traced",
                metadata: [
                    "id": "\(incident.id)", "located": "\(located.map { "\($0.culprit)" } ?? "no single device or link")",
                    "hops": "\(traces.map { $0.error ?? ($0.reachedDestination == true ? "reached" : "loss from hop \($0.lossStartsAtHop.map(String.init) ?? "?") after \($0.lastAnsweringHop ?? "?")") })",
                ])
        }
    }
}
