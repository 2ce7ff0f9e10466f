import Foundation
import Logging
import PingmeshModel
import Synchronization

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
    /// Per incident id: trace rounds asked so far and the window of the latest.
    private let traceRounds = Mutex<[String: (rounds: Int, window: Int64)]>([:])
    /// The latest windows' evidence, by window start, for faint random drops.
    private let recentEvidence = Mutex<[Int64: WindowEvidence]>([:])
    /// Rounds of traceroutes an incident gets while its paths name no device or link.
    static let maximumTraceRounds = 3
    /// The store document that holds the tracker's state for every replica and the next start.
    public static let stateName = "incidents"
    /// The version of that document the tracker holds; nil before it read or wrote one.
    private let storedVersion = Mutex<Int64?>(nil)
    /// Whether the last round led (held the analysis lease).
    private let ledLastRound = Mutex(false)

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

    /// Findings for the window starting at `window`, computed now from the stored rows. A window
    /// that names nothing is read again together with the two before it, when they named nothing
    /// either, for random drops too faint for one window (`WindowEvidence.merged`); only packet
    /// loss in the network is taken from there, since a server's state is the newest window's.
    public func findings(window: Int64) async throws -> [Finding] {
        let evidence = try await WindowEvidence.load(from: store, window: window, shape: fabric.shape)
        let findings = localizer.analyze(evidence)
        guard findings.isEmpty else { return findings }
        var quiet = [evidence]
        for earlier in stride(from: window - 60, to: window - Self.faintLossWindows * 60, by: -60) {
            let before = try await WindowEvidence.load(from: store, window: earlier, shape: fabric.shape)
            guard localizer.analyze(before).isEmpty else { return [] }
            quiet.insert(before, at: 0)
        }
        return faintLoss(quiet)
    }

    /// The findings of the next window in order, keeping the latest quiet windows' evidence so
    /// that the faint-drops reading does not load them again.
    private func analyzeInOrder(window: Int64) async throws -> [Finding] {
        let evidence = try await WindowEvidence.load(from: store, window: window, shape: fabric.shape)
        let findings = localizer.analyze(evidence)
        // Only windows that named nothing are read together: a fault one window named, and
        // that is gone, must not live on in the windows after it.
        let quiet = recentEvidence.withLock { recent in
            if findings.isEmpty { recent[window] = evidence }
            recent = recent.filter { $0.key > window - Self.faintLossWindows * 60 && $0.key <= window }
            return recent.keys.sorted().map { recent[$0]! }
        }
        guard findings.isEmpty, quiet.count == Self.faintLossWindows else { return findings }
        return faintLoss(quiet)
    }

    /// Packet loss in the network over consecutive quiet windows, oldest first.
    private func faintLoss(_ windows: [WindowEvidence]) -> [Finding] {
        guard let merged = WindowEvidence.merged(windows) else { return [] }
        // Three lost packets over three minutes already break the loss SLA of a small fabric's
        // tier, and stand far above background loss.
        var faint = localizer
        faint.settings.minimumBad = Self.faintLossMinimumBad
        return faint.analyze(merged).compactMap { finding in
            guard finding.kind == .packetLoss, finding.isNetwork else { return nil }
            if case .server = finding.component { return nil }
            var named = finding
            named.explanation += "; over the last \(windows.count) minutes, too few lost packets for one"
            return named
        }
    }

    /// Windows read together for faint random drops.
    static let faintLossWindows: Int64 = 3
    /// Lost packets that can make a candidate over those windows.
    static let faintLossMinimumBad = 3

    /// Analyses every settled window not analysed yet; returns the events it produced. A
    /// replica that does not lead (`AnalysisLease`) analyses nothing: it takes the leader's
    /// incidents from the store, so every replica serves the same list. A replica that starts
    /// leading first takes what the last leader saved, and goes on from its last window.
    @discardableResult
    public func runOnce(now: Int64, leading: Bool = true) async throws -> [IncidentEvent] {
        let startsLeading = ledLastRound.withLock { led in
            defer { led = leading }
            return leading && !led
        }
        guard leading else {
            try await loadIncidents()
            return []
        }
        if startsLeading { try await loadIncidents() }
        let settled = Self.settledWindow(now: now)
        let replaying = tracker.lastWindow == nil
        // After a long pause, catch up on the last windows only: incidents are about now.
        let first = max(tracker.lastWindow.map { $0 + 60 } ?? settled - replayWindows * 60, settled - 60 * 60)
        guard first <= settled else { return [] }
        var events: [IncidentEvent] = []
        for window in stride(from: first, through: settled, by: 60) {
            let findings = try await analyzeInOrder(window: window)
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
                trace(event.incident, with: tracer, window: settled)
            }
            // Random drops fail few 5-tuples, and a lost answer fails one whose forward path
            // crossed another device (the answer came back another way): while the paths name
            // nothing, and for random loss even once they do (its first vote rests on a handful of
            // paths, diluted by those lost answers), trace again the next window and vote over
            // every path traced so far.
            for incident in tracker.open
            where (incident.located == nil || incident.kind == .packetLoss) && incident.traceroutes != nil
                && TracerouteRequester.wants(incident)
            {
                let due = traceRounds.withLock { rounds in
                    guard let last = rounds[incident.id] else { return false }
                    return last.rounds < Self.maximumTraceRounds && settled > last.window
                }
                if due { trace(incident, with: tracer, window: settled) }
            }
            traceRounds.withLock { rounds in rounds = rounds.filter { id, _ in tracker.open.contains { $0.id == id } } }
        }
        if let notifier {
            if !replaying { await notifier.send(events) }
            let recent = tracker.resolved.filter { ($0.endedAt ?? 0) >= settled - 15 * 60 }
            await notifier.refreshAlerts(open: tracker.open, resolved: recent, now: Date(timeIntervalSince1970: TimeInterval(now)))
        }
        // Saved after the webhooks went: a leader that dies between the two makes its successor
        // send a change again (with the same idempotency key), rather than never.
        try await saveIncidents()
        return events
    }

    static let stateEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }()

    static let stateDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }()

    /// Writes the tracker's state to the store for the other replicas and the next start.
    func saveIncidents() async throws {
        let value = try Self.stateEncoder.encode(tracker.snapshot())
        let version = try await store.saveState(Self.stateName, value: Array(value))
        storedVersion.withLock { $0 = max($0 ?? version, version) }
    }

    /// Takes the stored state when it is newer than the one the tracker holds.
    func loadIncidents() async throws {
        let known = storedVersion.withLock { $0 }
        guard let stored = try await store.loadState(Self.stateName, newerThan: known) else { return }
        tracker.restore(try Self.stateDecoder.decode(IncidentTracker.Snapshot.self, from: Data(stored.value)))
        storedVersion.withLock { $0 = stored.version }
    }

    /// Traces the incident in the background (a traceroute takes seconds to minutes; analysis
    /// goes on) and attaches what comes back.
    private func trace(_ incident: Incident, with tracer: TracerouteRequester, window: Int64) {
        guard tracer.begin() else {
            logger.warning("incident not traced: too many traceroutes in flight", metadata: ["id": "\(incident.id)"])
            return
        }
        traceRounds.withLock { rounds in rounds[incident.id] = ((rounds[incident.id]?.rounds ?? 0) + 1, window) }
        let (store, tracker, logger, fabric) = (self.store, self.tracker, self.logger, self.fabric)
        Task {
            defer { tracer.end() }
            let earlier = tracker.open.first { $0.id == incident.id }?.traceroutes ?? []
            let traces = earlier + (await tracer.traceroutes(for: incident, store: store))
            let placements = (try? await store.placements()) ?? [:]
            let located = PathVoting(fabric: fabric, placements: placements).verdict(traces, for: incident.component)
            tracker.attach(traces, located: located, to: incident.id)
            do {
                try await self.saveIncidents()
            } catch {
                logger.error("cannot save the traced incident to the store", metadata: ["id": "\(incident.id)", "error": "\(error)"])
            }
            logger.notice(
                "incident traced",
                metadata: [
                    "id": "\(incident.id)", "located": "\(located.map { "\($0.culprit)" } ?? "no single device or link")",
                    "hops": "\(traces.map { $0.error ?? ($0.reachedDestination == true ? "reached" : "loss from hop \($0.lossStartsAtHop.map(String.init) ?? "?") after \($0.lastAnsweringHop ?? "?")") })",
                ])
        }
    }
}
