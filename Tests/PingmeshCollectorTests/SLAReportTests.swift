import Foundation
import Hummingbird
import HummingbirdTesting
import PingmeshCollector
import PingmeshModel
import Testing

@Suite("SLA report")
struct SLAReportTests {
    static func row(_ source: String, _ destination: String, window: Int64, ok: UInt64, timeout: UInt64 = 0, microseconds: UInt64) -> PairAggregate {
        var sketch = LatencySketch()
        for _ in 0..<ok { sketch.record(microseconds: microseconds) }
        return PairAggregate(
            level: .tor, resolution: .minute, window: window, source: source, destination: destination, kind: .tcp,
            counts: ResultCounts(ok: ok, timeout: timeout), rtt: sketch)
    }

    @Test("a window breaks the SLA on P99 or on loss; shares, totals and violations per component; worst first")
    func judged() throws {
        let base: Int64 = 1_700_000_040
        let rows = [
            // t1 <-> t2 healthy in both windows; t3 slow in the first and lossy in the second.
            Self.row("t1", "t2", window: base, ok: 1000, microseconds: 300),
            Self.row("t1", "t2", window: base + 60, ok: 1000, microseconds: 300),
            Self.row("t1", "t3", window: base, ok: 100, microseconds: 9_000),
            Self.row("t3", "t3", window: base + 60, ok: 998, timeout: 2, microseconds: 200),
        ]
        let report = SLAReport(level: .tor, resolution: .minute, from: base, to: base + 120, thresholds: .init(), rows: rows)
        #expect(report.components.map(\.name) == ["t3", "t1", "t2"], "worst share first, then by name")
        let t3 = try #require(report.components.first)
        #expect(t3.windows == 2 && t3.windowsInSLA == 0 && t3.shareInSLA == 0)
        #expect(t3.violations.map(\.window) == [base + 60, base], "newest first")
        #expect(t3.violations.first?.loss == 0.002, "2 of 1000 lost is above 1e-3")
        #expect((t3.violations.last?.p99Seconds ?? 0) > 0.005)
        let t1 = try #require(report.components.first { $0.name == "t1" })
        #expect(t1.windows == 2 && t1.windowsInSLA == 1 && t1.shareInSLA == 0.5, "its first window holds t1 -> t3's 9 ms")
        #expect(t1.probes == 2100)
        let t2 = try #require(report.components.first { $0.name == "t2" })
        #expect(t2.shareInSLA == 1 && t2.violations.isEmpty && (t2.p99Seconds ?? 1) < 0.001)
        let relaxed = SLAReport(
            level: .tor, resolution: .minute, from: base, to: base + 120, thresholds: .init(p99Seconds: 0.010, loss: 0.01), rows: rows)
        #expect(relaxed.components.allSatisfy { $0.shareInSLA == 1 }, "the thresholds are the caller's")
    }

    @Test("GET /v1/sla answers from the store and names a bad parameter")
    func api() async throws {
        let store = try await TemporaryStore.sqlite()
        try await IncidentTests.ingest(.none, window: IncidentTests.base, into: store)
        let metrics = CollectorMetrics()
        let app = Application(
            router: CollectorAPI.router(
                ingest: Ingestor(store: store, metrics: metrics), queries: ResultQueries(store: store), metrics: metrics, tokens: AccessTokens()))
        let range = "from=\(IncidentTests.base)&to=\(IncidentTests.base + 60)"
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/sla?level=server&\(range)", method: .get) { response in
                #expect(response.status == .ok)
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                let components = object?["components"] as? [[String: Any]] ?? []
                #expect(components.count == IncidentTests.simulator.topology.servers.count)
                #expect(components.allSatisfy { $0["share_in_sla"] as? Double == 1 }, "a healthy simulated minute is within the SLA")
            }
            try await client.execute(uri: "/v1/sla?\(range)&p99_ms=fast", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("p99_ms"))
            }
        }
    }
}
