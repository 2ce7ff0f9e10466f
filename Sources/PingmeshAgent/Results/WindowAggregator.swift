import Foundation
import PingmeshModel
import PingmeshProbe
import Synchronization

/// Turns probe outcomes into what the collector stores: per target and wall-clock window (aligned
/// on multiples of the window length in Unix time) the counts by class, the latency sketch of
/// the answered probes (a handshake that waited for a retransmitted SYN is counted, not timed),
/// SYN retransmissions, the jitter of successive answered probes, min and max RTT and
/// per-source-port counts; plus a raw record for every probe that was not ok. A probe belongs
/// to the window it was sent in.
///
/// Memory is one summary per target per open window (a handful of buckets and ports each) and
/// at most `maximumFailuresPerWindow` records per window; `flush(now:)` hands closed windows over.
public final class WindowAggregator: ProbeRecorder, Sendable {
    /// Who the batches come from and how results are cut.
    public struct Configuration: Sendable {
        public var agent: String
        public var agentVersion: String?
        /// The agent's own topology labels.
        public var labels: [String: String]
        /// One of `ResultBatch.allowedWindowSeconds`.
        public var windowSeconds: Int
        /// Failure records kept per window; beyond it they are counted, not kept (the counts
        /// still hold every probe). A dead peer among 10,000 targets fills this slowly; a dead
        /// network fills it at once, and then the counts say enough.
        public var maximumFailuresPerWindow: Int
        /// Summaries plus failures per batch, below the collector's `ResultBatch.maximumEntries`.
        public var maximumEntriesPerBatch: Int
        /// Open windows beyond this are discarded oldest first (counted): only a flush that never
        /// comes lets windows pile up, and memory must stay bounded even then.
        public var maximumOpenWindows: Int
        /// Source ports tracked per summary; every probe uses a fresh port, so this is far above
        /// the probes a target gets in one window.
        public var maximumPortsPerSummary: Int

        public init(
            agent: String, agentVersion: String? = nil, labels: [String: String] = [:], windowSeconds: Int = 60,
            maximumFailuresPerWindow: Int = 10_000, maximumEntriesPerBatch: Int = 50_000, maximumOpenWindows: Int = 16,
            maximumPortsPerSummary: Int = 256
        ) {
            self.agent = agent
            self.agentVersion = agentVersion
            self.labels = labels
            self.windowSeconds = windowSeconds
            self.maximumFailuresPerWindow = maximumFailuresPerWindow
            self.maximumEntriesPerBatch = maximumEntriesPerBatch
            self.maximumOpenWindows = maximumOpenWindows
            self.maximumPortsPerSummary = maximumPortsPerSummary
        }
    }

    /// What is known of one target in one window so far.
    private struct Accumulator {
        var name: String
        var kind: ProbeKind
        var labels: [String: String]
        var counts = ResultCounts()
        var rtt = LatencySketch()
        var minimum: Int64?
        var maximum: Int64?
        var ports: [Int: (sent: UInt64, failed: UInt64)] = [:]
        /// The RTT of the last answered probe, for the jitter of the next one.
        var lastRTT: Int64?
    }

    private struct Window {
        var summaries: [String: Accumulator] = [:]
        var failures: [FailureRecord] = []
    }

    private struct State {
        var windows: [Int64: Window] = [:]
        var pinglistVersion: String?
        var longestTimeout: Duration = .seconds(2)
    }

    public let configuration: Configuration
    private let metrics: UploadMetrics?
    private let state = Mutex(State())

    public init(configuration: Configuration, metrics: UploadMetrics? = nil) {
        precondition(configuration.windowSeconds > 0, "window length must be positive")
        self.configuration = configuration
        self.metrics = metrics
    }

    /// The start (Unix seconds) of the window holding `date`.
    public func windowStart(of date: Date) -> Int64 {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let length = Int64(configuration.windowSeconds)
        return seconds >= 0 ? seconds / length * length : -((-seconds + length - 1) / length * length)
    }

    /// The pinglist in use: its version goes into batches, its longest timeout tells how long
    /// after a window's end its last answers may still arrive.
    public func pinglistLoaded(version: String, longestTimeout: Duration?) {
        state.withLock { state in
            // The kill switch's empty list names no real version.
            state.pinglistVersion = version.isEmpty || version == Pinglist.empty.version ? nil : version
            if let longestTimeout { state.longestTimeout = longestTimeout }
        }
    }

    /// The longest probe timeout of the current pinglist (2 s before one is known).
    public var longestTimeout: Duration { state.withLock { $0.longestTimeout } }

    /// Windows holding records, for tests of the memory bound.
    var openWindows: Int { state.withLock { $0.windows.count } }

    // MARK: ProbeRecorder

    public func record(_ outcome: ProbeOutcome, for scheduled: ScheduledTarget, sentAt: Date) {
        var result = outcome.result
        // An answer without an RTT cannot go into the sketch, and the sketch must hold every
        // answered probe; no prober produces one, but the summary must stay valid if one does.
        if result.isAnswered, outcome.rtt == nil { result = .error }
        let start = windowStart(of: sentAt)
        let target = scheduled.target
        let rttNanoseconds = outcome.rtt.map { max(0, $0.nanoseconds) }
        let failure: FailureRecord? =
            result == .ok
            ? nil
            : FailureRecord(
                at: Int64((sentAt.timeIntervalSince1970 * 1000).rounded(.down)), target: scheduled.id, name: target.name,
                kind: target.kind, result: result, rttNanoseconds: rttNanoseconds, sourcePort: outcome.sourcePort.flatMap(Self.validPort),
                detail: outcome.detail.map { Self.truncated($0, maximumBytes: 512) })
        let configuration = self.configuration

        let (droppedFailure, droppedWindows) = state.withLock { state -> (Bool, Int) in
            var droppedWindows = 0
            if state.windows[start] == nil, state.windows.count >= configuration.maximumOpenWindows {
                // Only a flush that never comes gets here; keep the newest windows.
                while state.windows.count >= configuration.maximumOpenWindows, let oldest = state.windows.keys.min() {
                    droppedWindows += state.windows.removeValue(forKey: oldest)?.summaries.count ?? 0
                }
            }
            var window = state.windows.removeValue(forKey: start) ?? Window()
            var summary =
                window.summaries.removeValue(forKey: scheduled.id)
                ?? Accumulator(name: target.name, kind: target.kind, labels: target.labels)
            summary.counts[result] += 1
            if let retransmits = outcome.synRetransmits, retransmits > 0 { summary.counts.synRetransmits += UInt64(retransmits) }
            if result.isAnswered, let rtt = outcome.rtt, let nanoseconds = rttNanoseconds {
                summary.rtt.record(rtt)
                summary.minimum = min(summary.minimum ?? nanoseconds, nanoseconds)
                summary.maximum = max(summary.maximum ?? nanoseconds, nanoseconds)
                if let last = summary.lastRTT {
                    summary.counts.jitterPairs += 1
                    summary.counts.jitterNanoseconds &+= (nanoseconds - last).magnitude
                }
                summary.lastRTT = nanoseconds
            }
            if let port = outcome.sourcePort.flatMap(Self.validPort),
                summary.ports[port] != nil || summary.ports.count < configuration.maximumPortsPerSummary
            {
                var counts = summary.ports[port] ?? (0, 0)
                counts.sent += 1
                // A port that only lost SYNs along the way still got through: not failed.
                if result.isFailure { counts.failed += 1 }
                summary.ports[port] = counts
            }
            window.summaries[scheduled.id] = summary
            var dropped = false
            if let failure {
                if window.failures.count < configuration.maximumFailuresPerWindow {
                    window.failures.append(failure)
                } else {
                    dropped = true
                }
            }
            state.windows[start] = window
            return (dropped, droppedWindows)
        }
        if droppedFailure { metrics?.failureRecordsDropped(1) }
        if droppedWindows > 0 { metrics?.windowsDropped(droppedWindows) }
    }

    // MARK: Flush

    /// Closes every window whose end is at or before `now` and returns its summaries and
    /// failures as batches (usually one; more only past `maximumEntriesPerBatch`). Windows still
    /// open stay. Empty when nothing closed.
    public func flush(now: Date) -> [ResultBatch] {
        let end = Int64(now.timeIntervalSince1970.rounded(.down))
        let length = Int64(configuration.windowSeconds)
        return close(now: now) { start in start + length <= end }
    }

    /// Closes every window, open ones included: for shutdown, so that nothing recorded is lost.
    /// The collector adds a later summary of the same target and window to this one.
    public func flushAll(now: Date) -> [ResultBatch] {
        close(now: now) { _ in true }
    }

    private func close(now: Date, where isClosed: (Int64) -> Bool) -> [ResultBatch] {
        let (closed, version) = state.withLock { state -> ([(Int64, Window)], String?) in
            let starts = state.windows.keys.filter(isClosed).sorted()
            return (starts.map { ($0, state.windows.removeValue(forKey: $0)!) }, state.pinglistVersion)
        }
        guard !closed.isEmpty else { return [] }
        var summaries: [WindowSummary] = []
        var failures: [FailureRecord] = []
        for (start, window) in closed {
            for id in window.summaries.keys.sorted() {
                summaries.append(Self.summary(window.summaries[id]!, start: start, seconds: configuration.windowSeconds, target: id))
            }
            failures.append(contentsOf: window.failures)
        }
        return batches(summaries: summaries, failures: failures, pinglistVersion: version, now: now)
    }

    private static func summary(_ accumulator: Accumulator, start: Int64, seconds: Int, target: String) -> WindowSummary {
        // Ports tell something only when some probe failed: a port-specific black hole.
        let ports =
            accumulator.counts.failed == 0
            ? []
            : accumulator.ports.keys.sorted().map { port in
                PortCounts(port: port, sent: accumulator.ports[port]!.sent, failed: accumulator.ports[port]!.failed)
            }
        return WindowSummary(
            start: start, seconds: seconds, target: target, name: accumulator.name, kind: accumulator.kind,
            labels: accumulator.labels, counts: accumulator.counts, rtt: accumulator.rtt, minRTTNanoseconds: accumulator.minimum,
            maxRTTNanoseconds: accumulator.maximum, ports: ports)
    }

    private func batches(summaries: [WindowSummary], failures: [FailureRecord], pinglistVersion: String?, now: Date) -> [ResultBatch] {
        let limit = max(1, configuration.maximumEntriesPerBatch)
        let createdAt = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        var batches: [ResultBatch] = []
        var windows = summaries[...]
        var records = failures[...]
        while !windows.isEmpty || !records.isEmpty {
            let windowPart = windows.prefix(limit)
            windows = windows.dropFirst(windowPart.count)
            let recordPart = records.prefix(limit - windowPart.count)
            records = records.dropFirst(recordPart.count)
            batches.append(
                ResultBatch(
                    id: Self.newBatchID(), agent: configuration.agent, agentVersion: configuration.agentVersion,
                    pinglistVersion: pinglistVersion, labels: configuration.labels, createdAt: createdAt, windows: Array(windowPart),
                    failures: Array(recordPart)))
        }
        return batches
    }

    /// A fresh batch id: 32 hex digits, random, so retries of one batch and only those share it.
    static func newBatchID() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    private static func validPort(_ port: Int) -> Int? { (1...65535).contains(port) ? port : nil }

    /// `text` cut to at most `maximumBytes` of UTF-8 on a character boundary (the wire format
    /// caps a failure's detail at 512 bytes).
    static func truncated(_ text: String, maximumBytes: Int) -> String {
        guard text.utf8.count > maximumBytes else { return text }
        let marker = "..."
        var kept = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            if used + size > maximumBytes - marker.utf8.count { break }
            kept.append(character)
            used += size
        }
        return kept + marker
    }
}
