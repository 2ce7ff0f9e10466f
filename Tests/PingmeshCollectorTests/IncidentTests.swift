import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PingmeshCollector
import PingmeshModel
import Synchronization
import Testing

/// From stored rows to incidents: simulated windows are ingested into a real SQLite store as
/// agents would upload them, the analyzer reads them back, and a local HTTP server stands in for
/// a webhook receiver and Alertmanager.
@Suite("Incidents")
struct IncidentTests {
    /// 2 DCs x 2 podsets x 2 ToRs x 5 servers.
    static let simulator: FaultSimulator = {
        do { return try FaultSimulator(datacenters: 2, podsetsPerDatacenter: 2, torsPerPodset: 2, serversPerTor: 5) } catch {
            fatalError("the simulated topology is invalid: \(error)")
        }
    }()

    /// A minute boundary in November 2023.
    static let base: Int64 = 1_700_000_040

    /// Stores one simulated window as each reporting server's upload: counts, a sketch whose
    /// samples sit at the pair's p99, and every server's placement.
    static func ingest(_ fault: FaultSimulator.Fault, window: Int64, into store: any ResultStore) async throws {
        let evidence = simulator.window(fault, seed: UInt64(window))
        let topology = simulator.topology
        var placements: [String: [String: String]] = [:]
        for server in topology.servers.indices { placements[topology.servers[server].name] = topology.topologyLabels(of: server) }
        var rows: [String: [PairAggregate]] = [:]
        for pair in evidence.pairs {
            let source = evidence.fabric.servers[Int(pair.source)].name
            let destination = evidence.fabric.servers[Int(pair.destination)].name
            var sketch = LatencySketch()
            for _ in 0..<(pair.sent - pair.lost) { sketch.record(microseconds: UInt64(pair.p99Microseconds)) }
            rows[source, default: []].append(
                PairAggregate(
                    level: .server, resolution: .minute, window: window, source: source, destination: destination, kind: .tcp,
                    counts: ResultCounts(ok: UInt64(pair.sent - pair.lost), timeout: UInt64(pair.lost)), rtt: sketch))
        }
        for (agent, agentRows) in rows {
            _ = try await store.ingest(
                IngestBatch(
                    id: "\(agent)-\(window)",
                    agent: AgentRecord(
                        name: agent, version: "test", pinglistVersion: "v1", labels: [:], lastUpload: (window + 60) * 1000,
                        lastBatchCreated: (window + 60) * 1000),
                    rows: agentRows, failures: [], ports: [], placements: placements))
        }
    }

    /// Records the bodies a webhook and Alertmanager receive.
    final class Receiver: Sendable {
        let webhookBodies = Mutex<[Data]>([])
        let alertBodies = Mutex<[Data]>([])

        var webhook: [[String: Any]] {
            webhookBodies.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        }
        var alerts: [[[String: Any]]] {
            alertBodies.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: $0) as? [[String: Any]] }
        }

        func router() -> Router<BasicRequestContext> {
            let router = Router()
            router.post("/hook") { request, _ -> HTTPResponse.Status in
                let body = Data(buffer: try await request.body.collect(upTo: 1 << 20))
                self.webhookBodies.withLock { $0.append(body) }
                return .ok
            }
            router.post("/am/api/v2/alerts") { request, _ -> HTTPResponse.Status in
                let body = Data(buffer: try await request.body.collect(upTo: 1 << 20))
                self.alertBodies.withLock { $0.append(body) }
                return .ok
            }
            return router
        }
    }

    @Test("a ToR goes down: an incident opens naming it, webhook and Alertmanager hear of it, and it resolves after two clean windows")
    func torDownOpensAndResolves() async throws {
        let store = try await TemporaryStore.sqlite()
        let receiver = Receiver()
        let app = Application(router: receiver.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let notifier = IncidentNotifier(
                configuration: .init(
                    webhooks: ["http://127.0.0.1:\(port)/hook"], alertmanagers: ["http://127.0.0.1:\(port)/am"], externalURL: "http://collector:9320"),
                logger: Logger(label: "test"))
            let analyzer = WindowAnalyzer(store: store, notifier: notifier, logger: Logger(label: "test"))
            func settle(_ window: Int64) -> Int64 { window + 60 + 20 }

            // Healthy history: the first round replays it quietly.
            try await Self.ingest(.none, window: Self.base, into: store)
            #expect(try await analyzer.runOnce(now: settle(Self.base)).isEmpty)

            let fault = FaultSimulator.Fault.torDown(tor: 3)
            let expected = try #require(Self.simulator.expected(fault))
            try await Self.ingest(fault, window: Self.base + 60, into: store)
            let opened = try await analyzer.runOnce(now: settle(Self.base + 60))
            #expect(opened.map(\.change) == [.opened])
            let incident = try #require(opened.first?.incident)
            #expect(incident.component == expected.component && incident.kind == .torDown && incident.severity == .critical)
            #expect(incident.startedAt == Self.base + 60 && incident.network)

            // Still down: the same incident, updated, nothing new sent.
            try await Self.ingest(fault, window: Self.base + 120, into: store)
            #expect(try await analyzer.runOnce(now: settle(Self.base + 120)).isEmpty)
            #expect(analyzer.tracker.open.map(\.id) == [incident.id])
            #expect(analyzer.tracker.open.first?.timeline.count == 2)

            // Two clean windows resolve it; it ended when the first clean one began.
            try await Self.ingest(.none, window: Self.base + 180, into: store)
            #expect(try await analyzer.runOnce(now: settle(Self.base + 180)).isEmpty)
            try await Self.ingest(.none, window: Self.base + 240, into: store)
            let resolved = try await analyzer.runOnce(now: settle(Self.base + 240))
            #expect(resolved.map(\.change) == [.resolved])
            #expect(resolved.first?.incident.endedAt == Self.base + 180)
            #expect(analyzer.tracker.open.isEmpty && analyzer.tracker.resolved.map(\.id) == [incident.id])

            let hooks = receiver.webhook
            #expect(hooks.compactMap { $0["change"] as? String } == ["opened", "resolved"])
            let first = try #require(hooks.first?["incident"] as? [String: Any])
            #expect(first["id"] as? String == incident.id && first["kind"] as? String == "tor-down")
            let posts = receiver.alerts
            #expect(posts.count >= 4, "open incidents are re-sent every round")
            let firing = try #require(posts.first?.first)
            let labels = try #require(firing["labels"] as? [String: String])
            #expect(labels["alertname"] == "PingmeshNetworkFault" && labels["severity"] == "critical" && labels["kind"] == "tor-down")
            if case .tor(let name, let podset) = expected.component { #expect(labels["tor"] == name && labels["podset"] == podset) }
            #expect((firing["generatorURL"] as? String)?.hasPrefix("http://collector:9320/") == true)
            let last = try #require(posts.last?.first)
            #expect(last["endsAt"] as? String == NotifierTimestamps.iso(Self.base + 180), "the resolved alert carries its end")
            await notifier.shutdown()
        }
    }

    @Test("the incidents and analysis APIs answer in snake_case and reject a bad state")
    func api() async throws {
        let store = try await TemporaryStore.sqlite()
        try await Self.ingest(.torBlackHole(tor: 1, share: 0.6), window: Self.base, into: store)
        let metrics = CollectorMetrics()
        let analyzer = WindowAnalyzer(store: store, logger: Logger(label: "test"), replayWindows: 1)
        try await analyzer.runOnce(now: Self.base + 80)
        let app = Application(
            router: CollectorAPI.router(
                ingest: Ingestor(store: store, metrics: metrics), queries: ResultQueries(store: store), metrics: metrics, tokens: AccessTokens(),
                analyzer: analyzer))
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/incidents?state=open", method: .get) { response in
                #expect(response.status == .ok)
                let body = String(buffer: response.body)
                #expect(body.contains("\"analyzed_through\":\(Self.base)") && body.contains("\"black-hole\"") && body.contains("\"started_at\""))
            }
            try await client.execute(uri: "/v1/analysis?at=\(Self.base + 30)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"window\":\(Self.base)"))
            }
            try await client.execute(uri: "/v1/incidents?state=closed", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("state"))
            }
            try await client.execute(uri: "/v1/analysis?at=yesterday", method: .get) { response in
                #expect(response.status == .badRequest)
            }
        }
    }
}

/// Alertmanager times as the notifier writes them.
enum NotifierTimestamps {
    static func iso(_ seconds: Int64) -> String { Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(.iso8601) }
}
