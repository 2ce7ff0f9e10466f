import Foundation
import NIOCore
import Prometheus
import Testing

@testable import PingmeshAgent
@testable import PingmeshModel
@testable import PingmeshProbe

@Suite("Window aggregator")
struct WindowAggregatorTests {
    /// A Unix time that is a multiple of every allowed window length.
    static let base: TimeInterval = 1_700_000_040
    static let validationNow = Int64(base) + 600

    static func at(_ offset: TimeInterval) -> Date { Date(timeIntervalSince1970: base + offset) }

    static func target(_ host: String, labels: [String: String] = ["dc": "dc1", "tor": "t1"]) -> ScheduledTarget {
        let target = ProbeTarget(name: "server-\(host)", group: "tor-t1", kind: .tcp, host: host, port: 9301, labels: labels)
        return ScheduledTarget(target: target, address: try! SocketAddress(ipAddress: host, port: 9301))
    }

    static func ok(_ microseconds: Int64, port: Int? = nil) -> ProbeOutcome {
        var outcome = ProbeOutcome.answered(rtt: .microseconds(microseconds), delay: .milliseconds(10))
        outcome.sourcePort = port
        return outcome
    }

    static func aggregator(
        window: Int = 60, maximumFailures: Int = 10_000, metrics: UploadMetrics? = nil, maximumEntries: Int = 50_000
    ) -> WindowAggregator {
        WindowAggregator(
            configuration: .init(
                agent: "agent-1", agentVersion: "0.2.0", labels: ["dc": "dc1", "pod": "p1"], windowSeconds: window,
                maximumFailuresPerWindow: maximumFailures, maximumEntriesPerBatch: maximumEntries),
            metrics: metrics)
    }

    static func expectValid(_ batches: [ResultBatch], sourceLocation: SourceLocation = #_sourceLocation) {
        for batch in batches {
            let issues = batch.validationIssues(now: validationNow)
            #expect(issues.isEmpty, "\(issues)", sourceLocation: sourceLocation)
        }
    }

    @Test("a probe belongs to the window of its send time; flush closes only windows whose end has passed")
    func windowsBySendTime() throws {
        let aggregator = Self.aggregator()
        let peer = Self.target("10.0.0.1")
        aggregator.record(Self.ok(100), for: peer, sentAt: Self.at(0.5))
        aggregator.record(Self.ok(200), for: peer, sentAt: Self.at(59.999))
        aggregator.record(Self.ok(300), for: peer, sentAt: Self.at(60))

        #expect(aggregator.flush(now: Self.at(59.9)).isEmpty, "the first window is still open")
        let first = aggregator.flush(now: Self.at(60))
        #expect(first.count == 1)
        let batch = try #require(first.first)
        #expect(batch.windows.count == 1)
        let window = try #require(batch.windows.first)
        #expect(window.start == Int64(Self.base))
        #expect(window.seconds == 60)
        #expect(window.counts.ok == 2, "the probe sent at 59.999 s is in the first window")
        #expect(aggregator.flush(now: Self.at(119)).isEmpty)
        let second = aggregator.flush(now: Self.at(120))
        #expect(second.first?.windows.first?.start == Int64(Self.base) + 60)
        #expect(second.first?.windows.first?.counts.ok == 1)
        #expect(aggregator.flush(now: Self.at(600)).isEmpty, "a window is handed over once")
        Self.expectValid(first + second)
    }

    @Test("windows align on multiples of their length in Unix time", arguments: [10, 15, 20, 30, 60])
    func alignment(window: Int) {
        let aggregator = Self.aggregator(window: window)
        for offset in [0.0, 7.3, 13.9, 29.99, 44.0, 61.5] {
            let start = aggregator.windowStart(of: Self.at(offset))
            #expect(start % Int64(window) == 0)
            #expect(Double(start) <= Self.base + offset && Self.base + offset < Double(start + Int64(window)))
        }
    }

    @Test("counts by class, the sketch holds the answered probes, min and max, failure records for every non-ok probe")
    func summary() throws {
        let aggregator = Self.aggregator()
        let peer = Self.target("10.0.0.2")
        aggregator.record(Self.ok(80, port: 40001), for: peer, sentAt: Self.at(1))
        aggregator.record(Self.ok(120, port: 40002), for: peer, sentAt: Self.at(11))
        var slow = ProbeOutcome.answered(rtt: .milliseconds(25), delay: .milliseconds(10))
        slow.sourcePort = 40003
        aggregator.record(slow, for: peer, sentAt: Self.at(21))
        aggregator.record(
            ProbeOutcome(result: .timeout, detail: "no connect within 2s", sourcePort: 40004), for: peer, sentAt: Self.at(31.25))
        aggregator.record(ProbeOutcome(result: .refused, detail: "connection refused", sourcePort: 40004), for: peer, sentAt: Self.at(41))

        let batch = try #require(aggregator.flush(now: Self.at(60)).first)
        let window = try #require(batch.windows.first)
        #expect(window.target == peer.id)
        #expect(window.name == "server-10.0.0.2")
        #expect(window.kind == .tcp)
        #expect(window.labels == ["dc": "dc1", "tor": "t1"], "the target's topology labels")
        // Jitter: 80 -> 120 us -> 25 ms, two successive pairs differing by 40 us and 24,880 us.
        #expect(window.counts == ResultCounts(ok: 2, slow: 1, timeout: 1, refused: 1, jitterPairs: 2, jitterNanoseconds: 24_920_000))
        #expect(window.rtt.count == window.counts.answered, "the sketch holds exactly the answered probes")
        #expect(window.minRTTNanoseconds == 80_000)
        #expect(window.maxRTTNanoseconds == 25_000_000)
        #expect(
            window.ports == [
                PortCounts(port: 40001, sent: 1, failed: 0), PortCounts(port: 40002, sent: 1, failed: 0),
                PortCounts(port: 40003, sent: 1, failed: 0), PortCounts(port: 40004, sent: 2, failed: 2),
            ])

        #expect(batch.failures.map(\.result) == [.slow, .timeout, .refused], "every probe that was not ok, none that was")
        let timeout = batch.failures[1]
        #expect(timeout.at == Int64(Self.base * 1000) + 31_250, "the send time in Unix milliseconds")
        #expect(timeout.target == peer.id)
        #expect(timeout.sourcePort == 40004)
        #expect(timeout.detail == "no connect within 2s")
        #expect(timeout.rttNanoseconds == nil)
        #expect(batch.failures[0].rttNanoseconds == 25_000_000, "a slow probe keeps its RTT")

        #expect(batch.agent == "agent-1")
        #expect(batch.agentVersion == "0.2.0")
        #expect(batch.labels == ["dc": "dc1", "pod": "p1"])
        #expect(batch.createdAt == Int64(Self.base * 1000) + 60_000)
        Self.expectValid([batch])
    }

    @Test("unresolved rounds are counted in the window and recorded as failures with their reason; the batch is valid and survives the wire")
    func unresolvedRounds() throws {
        let aggregator = Self.aggregator()
        let nameless = ProbeTarget(name: "svc", group: "g", kind: .tcp, host: "svc.invalid", port: 443)
        let scheduled = ScheduledTarget(unresolved: nameless, reason: "cannot resolve svc.invalid: Name or service not known")
        let outcome = try #require(scheduled.unresolvedOutcome)
        aggregator.record(outcome, for: scheduled, sentAt: Self.at(3))
        aggregator.record(outcome, for: scheduled, sentAt: Self.at(13))

        let batch = try #require(aggregator.flush(now: Self.at(60)).first)
        let window = try #require(batch.windows.first)
        #expect(window.target == "tcp://svc.invalid:443" && window.counts == ResultCounts(unresolved: 2) && window.rtt.isEmpty)
        #expect(window.ports.isEmpty, "nothing was sent from any port")
        #expect(batch.failures.map(\.result) == [.unresolved, .unresolved])
        #expect(batch.failures.first?.detail == "cannot resolve svc.invalid: Name or service not known")
        Self.expectValid([batch])
        let decoded = try JSONDecoder().decode(ResultBatch.self, from: try JSONEncoder().encode(batch))
        #expect(decoded.windows.first?.counts.unresolved == 2 && decoded.failures.first?.result == .unresolved)
    }

    @Test("ports only in windows where some probe failed")
    func portsOnlyWithFailures() throws {
        let aggregator = Self.aggregator()
        let healthy = Self.target("10.0.0.3")
        let failing = Self.target("10.0.0.4")
        aggregator.record(Self.ok(90, port: 41001), for: healthy, sentAt: Self.at(1))
        var slow = ProbeOutcome.answered(rtt: .milliseconds(30), delay: .milliseconds(10))
        slow.sourcePort = 41002
        aggregator.record(slow, for: healthy, sentAt: Self.at(11))
        aggregator.record(Self.ok(90, port: 41003), for: failing, sentAt: Self.at(1))
        aggregator.record(ProbeOutcome(result: .timeout, sourcePort: 41004), for: failing, sentAt: Self.at(11))

        let batch = try #require(aggregator.flush(now: Self.at(60)).first)
        let byTarget = Dictionary(uniqueKeysWithValues: batch.windows.map { ($0.target, $0) })
        #expect(byTarget[healthy.id]?.ports == [], "slow is not a failure: no ports")
        #expect(byTarget[failing.id]?.ports.count == 2)
        Self.expectValid([batch])
    }

    @Test("the batch id is fresh per batch and valid on the wire")
    func batchIDs() throws {
        let aggregator = Self.aggregator()
        aggregator.record(Self.ok(100), for: Self.target("10.0.0.5"), sentAt: Self.at(1))
        let first = try #require(aggregator.flush(now: Self.at(60)).first)
        aggregator.record(Self.ok(100), for: Self.target("10.0.0.5"), sentAt: Self.at(61))
        let second = try #require(aggregator.flush(now: Self.at(120)).first)
        #expect(first.id != second.id)
        #expect((8...64).contains(first.id.count))
    }

    @Test("failure records over the per-window cap are counted, not kept; the counts keep every probe")
    func failureCap() throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = UploadMetrics(registry: registry)
        let aggregator = Self.aggregator(maximumFailures: 3, metrics: metrics)
        let peer = Self.target("10.0.0.6")
        for index in 0..<5 {
            aggregator.record(ProbeOutcome(result: .timeout), for: peer, sentAt: Self.at(Double(index)))
        }
        let batch = try #require(aggregator.flush(now: Self.at(60)).first)
        #expect(batch.failures.count == 3)
        #expect(batch.windows.first?.counts.timeout == 5)
        #expect(MetricValue.read("pingmesh_upload_dropped_failure_records_total", in: registry) == 2)
        Self.expectValid([batch])
    }

    @Test("a long failure detail is cut to the wire format's 512 bytes on a character boundary")
    func detailTruncated() throws {
        let aggregator = Self.aggregator()
        let detail = String(repeating: "é", count: 400)  // 800 bytes
        aggregator.record(ProbeOutcome(result: .error, detail: detail), for: Self.target("10.0.0.7"), sentAt: Self.at(1))
        let batch = try #require(aggregator.flush(now: Self.at(60)).first)
        let kept = try #require(batch.failures.first?.detail)
        #expect(kept.utf8.count <= 512)
        #expect(kept.hasPrefix("ééé") && kept.hasSuffix("..."))
        Self.expectValid([batch])
    }

    @Test("flushAll hands over the open windows too (for shutdown)")
    func flushAll() throws {
        let aggregator = Self.aggregator()
        aggregator.record(Self.ok(100), for: Self.target("10.0.0.8"), sentAt: Self.at(1))
        aggregator.record(Self.ok(100), for: Self.target("10.0.0.8"), sentAt: Self.at(61))
        #expect(aggregator.flush(now: Self.at(30)).isEmpty)
        let batches = aggregator.flushAll(now: Self.at(70))
        #expect(batches.flatMap(\.windows).map(\.start) == [Int64(Self.base), Int64(Self.base) + 60])
        #expect(aggregator.openWindows == 0)
        Self.expectValid(batches)
    }

    @Test("memory is one summary per target per open window, whatever the number of probes")
    func memoryBound() throws {
        let aggregator = Self.aggregator(window: 10)
        let targets = (1...20).map { Self.target("10.0.1.\($0)") }
        for round in 0..<6 {
            for peer in targets {
                aggregator.record(Self.ok(100, port: 50000 + round), for: peer, sentAt: Self.at(Double(round)))
            }
        }
        #expect(aggregator.openWindows == 1)
        let batch = try #require(aggregator.flush(now: Self.at(10)).first)
        #expect(batch.windows.count == 20)
        #expect(batch.windows.allSatisfy { $0.counts.ok == 6 })
    }

    @Test("windows left open without a flush are bounded: the oldest are discarded and counted")
    func openWindowCap() {
        let registry = PrometheusCollectorRegistry()
        let aggregator = WindowAggregator(
            configuration: .init(agent: "agent-1", windowSeconds: 10, maximumOpenWindows: 4), metrics: UploadMetrics(registry: registry))
        for window in 0..<10 {
            aggregator.record(Self.ok(100), for: Self.target("10.0.0.9"), sentAt: Self.at(Double(window * 10)))
        }
        #expect(aggregator.openWindows == 4)
        #expect(MetricValue.read("pingmesh_upload_dropped_windows_total", in: registry) == 6)
    }

    @Test("more entries than one batch may carry are split over several valid batches")
    func splitBatches() {
        let aggregator = Self.aggregator(maximumEntries: 7)
        for index in 1...10 {
            let peer = Self.target("10.0.2.\(index)")
            aggregator.record(ProbeOutcome(result: .refused), for: peer, sentAt: Self.at(1))
        }
        let batches = aggregator.flush(now: Self.at(60))
        #expect(batches.count == 3)
        #expect(batches.allSatisfy { $0.windows.count + $0.failures.count <= 7 })
        #expect(batches.flatMap(\.windows).count == 10)
        #expect(batches.flatMap(\.failures).count == 10)
        #expect(Set(batches.map(\.id)).count == 3)
        Self.expectValid(batches)
    }

    @Test("the pinglist version travels with the batch; the kill switch's empty list names none")
    func pinglistVersion() throws {
        let aggregator = Self.aggregator()
        aggregator.pinglistLoaded(version: "abc123", longestTimeout: .seconds(3))
        #expect(aggregator.longestTimeout == .seconds(3))
        aggregator.record(Self.ok(100), for: Self.target("10.0.0.10"), sentAt: Self.at(1))
        #expect(aggregator.flush(now: Self.at(60)).first?.pinglistVersion == "abc123")
        aggregator.pinglistLoaded(version: Pinglist.empty.version, longestTimeout: nil)
        #expect(aggregator.longestTimeout == .seconds(3))
        aggregator.record(Self.ok(100), for: Self.target("10.0.0.10"), sentAt: Self.at(61))
        #expect(aggregator.flush(now: Self.at(120)).first?.pinglistVersion == nil)
    }

    @Test("the composite recorder feeds metrics and windows alike")
    func composite() throws {
        let metrics = AgentMetrics(kinds: [.tcp])
        let aggregator = Self.aggregator()
        let recorder = CompositeRecorder([metrics, aggregator])
        recorder.record(ProbeOutcome(result: .refused), for: Self.target("10.0.0.11"), sentAt: Self.at(1))
        #expect(String(decoding: metrics.exposition(), as: UTF8.self).contains(#"pingmesh_probes_total{kind="tcp",result="refused"} 1"#))
        #expect(aggregator.flush(now: Self.at(60)).first?.windows.first?.counts.refused == 1)
    }
}
