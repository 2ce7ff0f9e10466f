import Foundation
import Prometheus

/// The metrics of result upload: what the collector made of each attempt, what the spool holds
/// and what was given up. They exist only on agents that upload (`--collector`).
public final class UploadMetrics: Sendable {
    /// How one upload attempt ended.
    public enum Outcome: String, Sendable, CaseIterable {
        /// Acknowledged: the collector committed the batch.
        case stored
        /// Acknowledged: the collector had the batch already (an earlier attempt got through).
        case duplicate
        /// Refused for good (a 4xx other than 408 and 429): the batch is dropped.
        case rejected
        /// Not acknowledged (5xx, 408, 429, no connection, timeout): the batch is retried.
        case failed
    }

    private let uploads: [Outcome: Counter]
    private let rejectedBatches: Counter
    private let droppedBatches: Counter
    private let spooledBatches: Counter
    private let corruptFiles: Counter
    private let droppedFailureRecords: Counter
    private let droppedWindows: Counter
    private let spoolBytes: Gauge
    private let spoolBatches: Gauge
    private let lastSuccess: Gauge

    private let health: AgentHealth?

    public init(registry: PrometheusCollectorRegistry, health: AgentHealth? = nil) {
        self.health = health
        var uploads: [Outcome: Counter] = [:]
        for outcome in Outcome.allCases {
            uploads[outcome] = registry.makeCounter(
                descriptor: .pingmesh(
                    "pingmesh_upload_batches_total",
                    help: "Result batch uploads by outcome: stored and duplicate are acknowledged, rejected is refused for good "
                        + "and dropped, failed is retried."),
                labels: [("result", outcome.rawValue)])
        }
        self.uploads = uploads
        let counter = { (name: String, help: String) in registry.makeCounter(descriptor: .pingmesh(name, help: help)) }
        let gauge = { (name: String, help: String) in registry.makeGauge(descriptor: .pingmesh(name, help: help)) }
        rejectedBatches = counter(
            "pingmesh_upload_rejected_batches_total", "Result batches the collector refused for good (4xx other than 408, 429); dropped.")
        droppedBatches = counter(
            "pingmesh_upload_dropped_batches_total",
            "Spooled result batches deleted unsent: the spool was over its byte cap (oldest first), or the batch was older than "
                + "the collector accepts.")
        spooledBatches = counter("pingmesh_upload_spooled_batches_total", "Result batches made from closed windows and queued for upload.")
        corruptFiles = counter("pingmesh_upload_spool_corrupt_files_total", "Spool files that could not be read back; removed.")
        droppedFailureRecords = counter(
            "pingmesh_upload_dropped_failure_records_total",
            "Failure records left out over the per-window cap; the window's counts still include the probes.")
        droppedWindows = counter(
            "pingmesh_upload_dropped_windows_total", "Window summaries discarded because too many windows were open without a flush.")
        spoolBytes = gauge("pingmesh_upload_spool_bytes", "Bytes of result batches waiting for upload (compressed, as spooled).")
        spoolBatches = gauge("pingmesh_upload_spool_batches", "Result batches waiting for upload.")
        lastSuccess = gauge(
            "pingmesh_upload_last_success_timestamp_seconds", "Unix time of the last batch a collector acknowledged; 0 before the first.")
    }

    func uploaded(_ outcome: Outcome, at date: Date = Date()) {
        uploads[outcome]?.increment()
        switch outcome {
        case .stored, .duplicate:
            lastSuccess.set(to: date.timeIntervalSince1970)
            health?.uploadSucceeded(at: date)
        case .rejected: rejectedBatches.increment()
        case .failed: break
        }
    }

    func batchesDropped(_ count: Int) {
        droppedBatches.increment(by: Int64(count))
        health?.uploadDropped(count)
    }
    func batchSpooled() { spooledBatches.increment() }
    func corruptFileRemoved() { corruptFiles.increment() }
    func failureRecordsDropped(_ count: Int) { droppedFailureRecords.increment(by: Int64(count)) }
    func windowsDropped(_ count: Int) { droppedWindows.increment(by: Int64(count)) }

    func spool(batches: Int, bytes: Int) {
        spoolBatches.set(to: Double(batches))
        health?.uploadPending(batches)
        spoolBytes.set(to: Double(bytes))
    }
}
