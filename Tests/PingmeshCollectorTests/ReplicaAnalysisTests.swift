import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PingmeshCollector
import PingmeshModel
import Synchronization
import Testing

/// Collector replicas on one store: the holder of the analysis lease analyses and notifies, the
/// others serve the incidents it saves, and one takes over when the holder stops renewing.
@Suite("Collector replicas: one analyses, every one serves the same incidents")
struct ReplicaAnalysisTests {
    /// Webhook deliveries: each change with its idempotency key.
    final class Hooks: Sendable {
        let received = Mutex<[(change: String, key: String?)]>([])

        func router() -> Router<BasicRequestContext> {
            let router = Router()
            router.post("/hook") { request, _ -> HTTPResponse.Status in
                let body = Data(buffer: try await request.body.collect(upTo: 1 << 20))
                let change = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["change"] as? String ?? "?"
                let key = request.headers[HTTPField.Name("Idempotency-Key")!]
                self.received.withLock { $0.append((change, key)) }
                return .ok
            }
            return router
        }
    }

    struct Replica {
        let analyzer: WindowAnalyzer
        let lease: AnalysisLease
        let notifier: IncidentNotifier

        func round(_ now: Int64) async throws -> [IncidentEvent] {
            try await analyzer.runOnce(now: now, leading: await lease.renew(now: now))
        }
    }

    static func replica(_ name: String, path: String, webhook: String) async throws -> Replica {
        let store = try await TemporaryStore.sqlite(at: path)
        let logger = Logger(label: "test.\(name)")
        let notifier = IncidentNotifier(configuration: .init(webhooks: [webhook]), logger: logger)
        return Replica(
            analyzer: WindowAnalyzer(store: store, notifier: notifier, logger: logger),
            lease: AnalysisLease(store: store, holder: name, seconds: 60, logger: logger), notifier: notifier)
    }

    @Test(
        "the lease holder opens and notifies once; the other replica serves the same incidents, takes over when the holder stops, and resolves without announcing the opening again"
    )
    func takeover() async throws {
        let path = TemporaryStore.path()
        let hooks = Hooks()
        let app = Application(router: hooks.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let webhook = "http://127.0.0.1:\(try #require(client.port))/hook"
            let a = try await Self.replica("a", path: path, webhook: webhook)
            let b = try await Self.replica("b", path: path, webhook: webhook)
            let restarted = try await Self.replica("c", path: path, webhook: webhook)
            // Each notifier's HTTP client must be shut down, whatever the checks find.
            let outcome = await Result(catching: { try await Self.check(a, b, restarted, hooks: hooks) })
            for replica in [a, b, restarted] { await replica.notifier.shutdown() }
            try outcome.get()
        }
    }

    static func check(_ a: Replica, _ b: Replica, _ restarted: Replica, hooks: Hooks) async throws {
        let store = a.analyzer.store
        let base = IncidentTests.base
        func settle(_ window: Int64) -> Int64 { window + 60 + 20 }

        try await IncidentTests.ingest(.none, window: base, into: store)
        #expect(try await a.round(settle(base)).isEmpty)
        #expect(try await b.round(settle(base)).isEmpty)
        #expect(a.lease.isHeld && !b.lease.isHeld)

        let fault = FaultSimulator.Fault.torDown(tor: 3)
        try await IncidentTests.ingest(fault, window: base + 60, into: store)
        let opened = try await a.round(settle(base + 60))
        #expect(opened.map(\.change) == [.opened])
        #expect(try await b.round(settle(base + 60)).isEmpty, "the replica without the lease analyses nothing")
        let id = try #require(opened.first?.incident.id)
        #expect(b.analyzer.tracker.open.map(\.id) == [id], "it serves the incident the holder saved")
        #expect(b.analyzer.tracker.open == a.analyzer.tracker.open)

        // The holder stops renewing (it died): its lease runs until settle(base + 60) + 60.
        try await IncidentTests.ingest(fault, window: base + 120, into: store)
        #expect(try await b.round(settle(base + 60) + 30).isEmpty)
        #expect(!b.lease.isHeld, "not before the lease expires")
        #expect(try await b.round(settle(base + 120)).isEmpty, "taken over: the open incident is not announced again")
        #expect(b.lease.isHeld)
        #expect(b.analyzer.tracker.open.first?.timeline.count == 2, "it went on from the holder's last window")

        try await IncidentTests.ingest(.none, window: base + 180, into: store)
        #expect(try await b.round(settle(base + 180)).isEmpty)
        try await IncidentTests.ingest(.none, window: base + 240, into: store)
        #expect(try await b.round(settle(base + 240)).map(\.change) == [.resolved])

        let received = hooks.received.withLock { $0 }
        #expect(received.map(\.change) == ["opened", "resolved"], "each change sent once, by whichever replica led")
        #expect(received.map(\.key) == ["\(id)/opened", "\(id)/resolved"])

        // A restarted replica knows the incidents at once, without replaying windows.
        await b.lease.release()
        #expect(try await restarted.round(settle(base + 240)).isEmpty)
        #expect(restarted.lease.isHeld, "a released lease is taken at once")
        #expect(restarted.analyzer.tracker.resolved.map(\.id) == [id])
        #expect(restarted.analyzer.tracker.lastWindow == base + 240)
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
