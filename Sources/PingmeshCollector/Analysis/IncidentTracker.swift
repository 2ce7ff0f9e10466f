import PingmeshModel
import Synchronization

/// A fault over time: opened by the first window whose analysis names a component, updated while
/// later windows keep naming it, resolved once `resolveAfter` analysed windows in a row do not.
public struct Incident: Sendable, Codable, Hashable {
    public enum State: String, Sendable, Codable { case open, resolved }
    public enum Severity: String, Sendable, Codable { case critical, warning, info }

    public struct Point: Sendable, Codable, Hashable {
        public var window: Int64
        public var ratio: Double
        public var badPairs: Int
    }

    /// Stable for a component, evidence family and start, so every replica that analyses the
    /// same windows gives the same id.
    public var id: String
    public var state: State
    public var severity: Severity
    /// The gravest kind any of its windows named (`evidence` holds the latest window's).
    public var kind: Finding.Kind
    public var component: FabricComponent
    /// The component in words, e.g. "ToR t3 (podset ps1)".
    public var scope: String
    /// Whether the network is at fault (false: a server or agent is down).
    public var network: Bool
    /// Window starts, Unix seconds: the first and the latest that named it, and when it ended.
    public var startedAt: Int64
    public var lastSeenAt: Int64
    public var endedAt: Int64?
    public var confidence: Double
    /// The latest window's finding: figures, example pairs and the explanation.
    public var evidence: Finding
    /// One point per window that named it, the latest 120.
    public var timeline: [Point]
    /// Traceroutes over the worst pairs, asked of their source agents when the incident opened
    /// (when the collector knows a controller); nil until they are back.
    public var traceroutes: [IncidentTraceroute]?
    /// The device or link the traceroutes name (`PathVoting`), where one explains the failing
    /// paths; nil while they are out, or when none does (the component stays the tier).
    public var located: PathVoting.Verdict?

    static func severity(_ kind: Finding.Kind) -> Severity {
        switch kind {
        case .torDown, .blackHole, .serverUnreachable: .critical
        case .portBlackHole, .packetLoss, .latency, .serverDown: .warning
        case .agentSilent: .info
        }
    }

    /// How grave a kind is within its family, for an incident whose windows name it differently:
    /// the minutes a fault begins and ends in hold it for part of the minute only, so a black
    /// hole looks like packet loss there, and the incident keeps the gravest kind it was seen as.
    static func gravity(_ kind: Finding.Kind) -> Int {
        switch kind {
        case .torDown: 6
        case .blackHole, .serverUnreachable: 5
        case .portBlackHole: 4
        case .packetLoss: 3
        case .serverDown: 2
        case .latency: 1
        case .agentSilent: 0
        }
    }

    /// Latency is tracked apart from loss and reachability: a ToR may drop and be slow at once.
    static func family(_ kind: Finding.Kind) -> String { kind == .latency ? "latency" : "fault" }
}

/// What changed in one window.
public struct IncidentEvent: Sendable, Codable, Hashable {
    public enum Change: String, Sendable, Codable { case opened, resolved }
    public var change: Change
    public var incident: Incident
}

/// Open incidents and the recently resolved ones, updated window by window. Incidents are derived
/// from stored rows, so a restarted collector rebuilds them by analysing recent windows again.
public final class IncidentTracker: Sendable {
    private struct State {
        var open: [String: Incident] = [:]
        var resolved: [Incident] = []
        var missed: [String: Int] = [:]
        var lastWindow: Int64?
    }

    private let state = Mutex(State())
    public let resolveAfter: Int
    public let keepResolved: Int

    public init(resolveAfter: Int = 2, keepResolved: Int = 500) {
        self.resolveAfter = max(1, resolveAfter)
        self.keepResolved = keepResolved
    }

    /// Everything the tracker knows, as the store keeps it for the other replicas and the next
    /// start.
    public struct Snapshot: Sendable, Codable, Hashable {
        public var open: [String: Incident]
        public var resolved: [Incident]
        public var missed: [String: Int]
        public var lastWindow: Int64?
    }

    public func snapshot() -> Snapshot {
        state.withLock { Snapshot(open: $0.open, resolved: $0.resolved, missed: $0.missed, lastWindow: $0.lastWindow) }
    }

    /// Replaces what the tracker knows with `snapshot` (another replica's, or the last run's).
    public func restore(_ snapshot: Snapshot) {
        state.withLock { state in
            state = State(
                open: snapshot.open, resolved: Array(snapshot.resolved.suffix(keepResolved)), missed: snapshot.missed,
                lastWindow: snapshot.lastWindow)
        }
    }

    /// The latest window recorded.
    public var lastWindow: Int64? { state.withLock { $0.lastWindow } }

    public var open: [Incident] { state.withLock { $0.open.values.sorted { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) } } }

    /// Resolved incidents, newest first.
    public var resolved: [Incident] { state.withLock { $0.resolved.reversed() } }

    /// Attaches traceroutes to the incident `id`, open or resolved since; false when it is gone.
    @discardableResult
    public func attach(_ traceroutes: [IncidentTraceroute], located: PathVoting.Verdict? = nil, to id: String) -> Bool {
        state.withLock { state in
            if let key = state.open.first(where: { $0.value.id == id })?.key {
                state.open[key]?.traceroutes = traceroutes
                state.open[key]?.located = located
                return true
            }
            if let index = state.resolved.firstIndex(where: { $0.id == id }) {
                state.resolved[index].traceroutes = traceroutes
                state.resolved[index].located = located
                return true
            }
            return false
        }
    }

    /// Applies one analysed window (windows must come in order; an older one is ignored).
    public func record(window: Int64, findings: [Finding]) -> [IncidentEvent] {
        state.withLock { state in
            if let last = state.lastWindow, window <= last { return [] }
            state.lastWindow = window
            var events: [IncidentEvent] = []
            var seen = Set<String>()
            for finding in findings {
                let key = Incident.family(finding.kind) + " " + finding.component.description
                guard seen.insert(key).inserted else { continue }
                let point = Incident.Point(window: window, ratio: finding.ratio, badPairs: finding.badPairs)
                if var incident = state.open[key] {
                    if Incident.gravity(finding.kind) >= Incident.gravity(incident.kind) {
                        incident.kind = finding.kind
                        incident.severity = Incident.severity(finding.kind)
                    }
                    incident.network = finding.isNetwork
                    incident.lastSeenAt = window
                    incident.confidence = finding.confidence
                    incident.evidence = finding
                    incident.timeline.append(point)
                    if incident.timeline.count > 120 { incident.timeline.removeFirst(incident.timeline.count - 120) }
                    state.open[key] = incident
                } else {
                    let incident = Incident(
                        id: "\(window)-\(String(StableHash.fnv1a64(key), radix: 16))", state: .open, severity: Incident.severity(finding.kind), kind: finding.kind,
                        component: finding.component, scope: finding.component.description, network: finding.isNetwork, startedAt: window,
                        lastSeenAt: window, endedAt: nil, confidence: finding.confidence, evidence: finding, timeline: [point])
                    state.open[key] = incident
                    events.append(IncidentEvent(change: .opened, incident: incident))
                }
                state.missed[key] = 0
            }
            for key in state.open.keys.sorted() where !seen.contains(key) {
                let missed = (state.missed[key] ?? 0) + 1
                state.missed[key] = missed
                guard missed >= resolveAfter, var incident = state.open.removeValue(forKey: key) else { continue }
                state.missed[key] = nil
                incident.state = .resolved
                // It ended when the first clean window began.
                incident.endedAt = incident.lastSeenAt + 60
                state.resolved.append(incident)
                if state.resolved.count > keepResolved { state.resolved.removeFirst(state.resolved.count - keepResolved) }
                events.append(IncidentEvent(change: .resolved, incident: incident))
            }
            return events
        }
    }
}
