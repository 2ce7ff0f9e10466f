import Foundation
import PingmeshModel
import Prometheus
import Synchronization

/// The collector's own health in Prometheus form, plus the per-level aggregates that
/// `LevelAggregates` renders (ToR pairs and above, label values capped).
public final class CollectorMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let batches: [String: Counter]
    private let summaries: Counter
    private let failures: Counter
    private let ingestSeconds: DurationHistogram
    private let storeBytes: Gauge
    private let rollupWindows: Counter
    private let rollupErrors: Counter
    private let lastRollup: Gauge
    private let levels = Mutex<[UInt8]>([])
    private let incidentsOpen: [Finding.Kind: Gauge]
    private let incidentsOpened: [Finding.Kind: Counter]
    private let lastAnalysis: Gauge
    private let analyzedWindow: Gauge
    private let analysisErrors: Counter
    private let adminOpen: Gauge
    private let leader: Gauge

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var batches: [String: Counter] = [:]
        for result in ["stored", "duplicate", "rejected"] {
            batches[result] = registry.makeCounter(
                descriptor: .init(
                    metricName: "pingmesh_collector_batches_total", unitName: "",
                    helpText: "Result batches received, by outcome: stored, duplicate (acknowledged, ignored) or rejected (4xx)."),
                labels: [("result", result)])
        }
        self.batches = batches
        summaries = registry.makeCounter(
            descriptor: .init(metricName: "pingmesh_collector_summaries_total", unitName: "", helpText: "Window summaries stored."))
        failures = registry.makeCounter(
            descriptor: .init(metricName: "pingmesh_collector_failure_records_total", unitName: "", helpText: "Raw failure records stored."))
        ingestSeconds = registry.makeDurationHistogram(
            descriptor: .init(
                metricName: "pingmesh_collector_ingest_duration_seconds", unitName: "",
                helpText: "Time from a batch's arrival to its durable commit."),
            buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10].map { Duration.milliseconds(Int($0 * 1000)) })
        storeBytes = registry.makeGauge(
            descriptor: .init(metricName: "pingmesh_collector_store_size_bytes", unitName: "", helpText: "Bytes the store occupies."))
        rollupWindows = registry.makeCounter(
            descriptor: .init(metricName: "pingmesh_collector_rollup_windows_total", unitName: "", helpText: "Windows rolled up."))
        rollupErrors = registry.makeCounter(
            descriptor: .init(metricName: "pingmesh_collector_rollup_errors_total", unitName: "", helpText: "Rollup passes that failed."))
        lastRollup = registry.makeGauge(
            descriptor: .init(
                metricName: "pingmesh_collector_last_rollup_timestamp_seconds", unitName: "", helpText: "When the last rollup pass finished."))
        // One series per kind, severity fixed by the kind: bounded, and zero when all is well.
        var open: [Finding.Kind: Gauge] = [:]
        var opened: [Finding.Kind: Counter] = [:]
        for kind in Finding.Kind.allCases {
            let severity = Incident.severity(kind).rawValue
            open[kind] = registry.makeGauge(
                descriptor: .init(
                    metricName: "pingmesh_collector_incidents_open", unitName: "",
                    helpText: "Open incidents by kind and severity (docs/analysis.md)."),
                labels: [("kind", kind.rawValue), ("severity", severity)])
            opened[kind] = registry.makeCounter(
                descriptor: .init(metricName: "pingmesh_collector_incidents_opened_total", unitName: "", helpText: "Incidents opened, by kind."),
                labels: [("kind", kind.rawValue)])
        }
        incidentsOpen = open
        incidentsOpened = opened
        lastAnalysis = registry.makeGauge(
            descriptor: .init(
                metricName: "pingmesh_collector_last_analysis_timestamp_seconds", unitName: "",
                helpText: "When the last analysis pass finished without error."))
        analyzedWindow = registry.makeGauge(
            descriptor: .init(
                metricName: "pingmesh_collector_analyzed_window_timestamp_seconds", unitName: "",
                helpText: "Start of the newest one-minute window analysed."))
        analysisErrors = registry.makeCounter(
            descriptor: .init(metricName: "pingmesh_collector_analysis_errors_total", unitName: "", helpText: "Analysis passes that failed."))
        leader = registry.makeGauge(
            descriptor: .init(
                metricName: "pingmesh_collector_analysis_leader", unitName: "",
                helpText: "1 while this replica holds the analysis lease: it rolls up, analyses and notifies; 0 while another does."))
        adminOpen = registry.makeGauge(
            descriptor: .init(
                metricName: "pingmesh_collector_admin_open", unitName: "",
                helpText: "1 while admin operations (fault injection, manual probes) are open to anyone: --insecure-open-admin without --tokens."))
    }

    /// Whether admin operations need no token, for the gauge an alert can watch.
    func adminAccess(openToAnyone: Bool) { adminOpen.set(to: openToAnyone ? 1 : 0) }

    func leads(_ leading: Bool) { leader.set(to: leading ? 1 : 0) }

    /// After an analysis pass: the incidents now open, the ones it opened, the newest window.
    func analyzed(open: [Incident], events: [IncidentEvent], window: Int64?) {
        var counts: [Finding.Kind: Int] = [:]
        for incident in open { counts[incident.kind, default: 0] += 1 }
        for (kind, gauge) in incidentsOpen { gauge.set(to: Double(counts[kind] ?? 0)) }
        for event in events where event.change == .opened { incidentsOpened[event.incident.kind]?.increment() }
        lastAnalysis.set(to: Date().timeIntervalSince1970)
        if let window { analyzedWindow.set(to: Double(window)) }
    }

    func analysisFailed() { analysisErrors.increment() }

    func batch(_ result: String, summaries count: Int = 0, failures failureCount: Int = 0, duration: Duration? = nil) {
        batches[result]?.increment()
        if count > 0 { summaries.increment(by: Int64(count)) }
        if failureCount > 0 { failures.increment(by: Int64(failureCount)) }
        if let duration { ingestSeconds.record(duration) }
    }

    func rolledUp(windows: Int) {
        rollupWindows.increment(by: Int64(windows))
        lastRollup.set(to: Date().timeIntervalSince1970)
    }

    func rollupFailed() { rollupErrors.increment() }

    func storeSize(_ bytes: Int64) { storeBytes.set(to: Double(bytes)) }

    /// Replaces the per-level aggregate series.
    func setLevels(_ text: String) { levels.withLock { $0 = Array(text.utf8) } }

    public func exposition() -> [UInt8] {
        var buffer = registry.emitToBuffer()
        buffer += levels.withLock { $0 }
        return buffer
    }
}
