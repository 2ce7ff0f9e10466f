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

    /// The collector's API over `store`.
    static func app(_ store: any ResultStore) -> some ApplicationProtocol {
        let metrics = CollectorMetrics()
        return Application(
            router: CollectorAPI.router(
                ingest: Ingestor(store: store, metrics: metrics), queries: ResultQueries(store: store), metrics: metrics, tokens: AccessTokens()))
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

    @Test("a service is the servers a label selector picks, judged on the probes sent to them")
    func service() async throws {
        let store = try await TemporaryStore.sqlite()
        let minute = BatchFactory.minute(3)
        // web1 and web2 (app=web) answer in 0.3 ms; db1 is slow; web2 also loses 1 probe in 100.
        let labels = ["web1": ["app": "web", "tor": "t1"], "web2": ["app": "web", "tor": "t2"], "db1": ["app": "db", "tor": "t1"]]
        for (agent, own) in labels {
            var windows: [WindowSummary] = []
            for peer in labels.keys where peer != agent {
                let slow = peer == "db1"
                windows.append(
                    BatchFactory.summary(to: peer, start: minute, rtts: Array(repeating: slow ? 9_000 : 300, count: 99), timeouts: peer == "web2" ? 1 : 0,
                        tor: labels[peer]!["tor"]))
            }
            _ = try await store.ingest(IngestBatch(BatchFactory.batch(agent: agent, labels: own, windows: windows), receivedAt: BatchFactory.now * 1000))
        }
        let app = Self.app(store)
        let range = "from=\(minute)&to=\(minute + 60)&resolution=1m"
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/sla?selector=app%3Dweb&service=web&\(range)", method: .get) { response in
                #expect(response.status == .ok)
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                let components = object?["components"] as? [[String: Any]] ?? []
                #expect(components.map { $0["name"] as? String } == ["web"])
                // Into web1 and web2: 2 x 99 from db1 and each other, plus web2's one timeout per sender.
                #expect(components.first?["probes"] as? Int == 4 * 99 + 2, "\(components)")
                #expect((components.first?["loss"] as? Double).map { abs($0 - 2.0 / 398) < 1e-9 } == true)
                #expect(components.first?["share_in_sla"] as? Double == 0, "2 lost in 398 is above 1e-3")
            }
            try await client.execute(uri: "/v1/sla?selector=app%3Ddb&\(range)", method: .get) { response in
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                let db = (object?["components"] as? [[String: Any]])?.first
                #expect(db?["name"] as? String == "app=db", "named after its selector by default")
                #expect((db?["p99_seconds"] as? Double ?? 0) > 0.005 && db?["share_in_sla"] as? Double == 0)
            }
            try await client.execute(uri: "/v1/sla?selector=app%3D~web%2C&\(range)", method: .get) { response in
                #expect(response.status == .badRequest && String(buffer: response.body).contains("selector: empty clause"))
            }
        }
    }

    @Test("GET /v1/sla answers from the store and names a bad parameter")
    func api() async throws {
        let store = try await TemporaryStore.sqlite()
        try await IncidentTests.ingest(.none, window: IncidentTests.base, into: store)
        let app = Self.app(store)
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
