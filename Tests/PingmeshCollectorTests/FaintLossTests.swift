import Logging
import PingmeshCollector
import PingmeshModel
import Testing

/// Random drops too faint for one window, through a real SQLite store and the analyzer: the lab's
/// two-tier fabric losing two resent SYNs a minute on pairs across ToRs (1% on one spine).
@Suite("Faint random drops")
struct FaintLossTests {
    static let base: Int64 = 1_700_000_040

    /// s1...s12, three per ToR; every server probes its ToR neighbours and the server in its place
    /// under every other ToR, 6 probes a minute. `resent` gives each cross-ToR pair's resent SYNs.
    static func ingest(window: Int64, into store: any ResultStore, resent: (Int, Int) -> UInt64) async throws {
        var placements: [String: [String: String]] = [:]
        for k in 1...12 { placements["s\(k)"] = ["dc": "dc1", "podset": "ps\((k - 1) / 6 + 1)", "tor": "tor\((k - 1) / 3 + 1)"] }
        for source in 1...12 {
            var rows: [PairAggregate] = []
            for destination in 1...12 where destination != source {
                let sameToR = (source - 1) / 3 == (destination - 1) / 3
                guard sameToR || (source - 1) % 3 == (destination - 1) % 3 else { continue }
                let resentSYNs = sameToR ? 0 : resent(source, destination)
                var sketch = LatencySketch()
                for _ in 0..<(6 - resentSYNs) { sketch.record(microseconds: 150) }
                rows.append(
                    PairAggregate(
                        level: .server, resolution: .minute, window: window, source: "s\(source)", destination: "s\(destination)", kind: .tcp,
                        counts: ResultCounts(ok: 6 - resentSYNs, retransmitted: resentSYNs, synRetransmits: resentSYNs), rtt: sketch))
            }
            _ = try await store.ingest(
                IngestBatch(
                    id: "s\(source)-\(window)",
                    agent: AgentRecord(
                        name: "s\(source)", version: "test", pinglistVersion: "v1", labels: [:], lastUpload: (window + 60) * 1000,
                        lastBatchCreated: (window + 60) * 1000),
                    rows: rows, failures: [], ports: [], placements: placements))
        }
    }

    /// Two resent SYNs a minute, on pairs that change from minute to minute.
    static func twoPerMinute(_ minute: Int) -> (Int, Int) -> UInt64 {
        { source, destination in (source == 1 + minute % 3 && destination == 7 + minute % 3) || (source == 10 - minute % 3 && destination == 4 - minute % 3) ? 1 : 0 }
    }

    @Test("two lost packets a minute name nothing in one window, and the spine tier over three quiet ones")
    func faintDropsNamedOverThreeWindows() async throws {
        let store = try await TemporaryStore.sqlite()
        let analyzer = WindowAnalyzer(
            store: store, fabric: FabricDescription(shape: .twoTier), logger: Logger(label: "test"), replayWindows: 0)
        for minute in 0..<3 { try await Self.ingest(window: Self.base + Int64(minute) * 60, into: store, resent: Self.twoPerMinute(minute)) }
        // One window alone names nothing.
        let one = try await WindowAnalyzer(store: store, fabric: FabricDescription(shape: .twoTier), logger: Logger(label: "test"))
            .findings(window: Self.base)
        #expect(one.isEmpty, "\(one.map { "\($0.kind) \($0.component)" })")
        // The third window, with the two quiet ones before it, names the spine tier.
        let third = try await analyzer.findings(window: Self.base + 120)
        let finding = try #require(third.first, "nothing named over three windows")
        #expect(finding.component == .spineTier(datacenter: "dc1") && finding.kind == .packetLoss, "\(finding.component) \(finding.kind)")
        #expect(finding.explanation.contains("over the last 3 minutes"))
    }

    @Test("a window that named a fault is not read with later ones: the fault does not live on")
    func loudWindowsAreNotMerged() async throws {
        let store = try await TemporaryStore.sqlite()
        let analyzer = WindowAnalyzer(store: store, fabric: FabricDescription(shape: .twoTier), logger: Logger(label: "test"))
        // Minute 0: heavy drops (named in its own window); minutes 1 and 2: clean.
        try await Self.ingest(window: Self.base, into: store) { source, destination in source < destination ? 3 : 0 }
        try await Self.ingest(window: Self.base + 60, into: store) { _, _ in 0 }
        try await Self.ingest(window: Self.base + 120, into: store) { _, _ in 0 }
        #expect(!(try await analyzer.findings(window: Self.base)).isEmpty)
        #expect(try await analyzer.findings(window: Self.base + 120).isEmpty)
    }
}
