import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PingmeshHTTPSupport
import PingmeshModel
import PingmeshTestSupport
import Synchronization
import Testing

@testable import PingmeshCollector

/// Webhooks and Alertmanagers behind an internal CA (`--notify-ca-file`).
@Suite("Incident notifications over HTTPS")
struct NotifierTLSTests {
    @Test(
        "an HTTPS webhook whose certificate chains to --notify-ca-file's CA gets the incident; without the file the delivery fails",
        .requires(.tool(.openssl)))
    func internalCA() async throws {
        let pki = try await TestPKI.make()
        defer { pki.remove() }
        let received = Mutex<[String?]>([])
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            received.withLock { $0.append(request.headers[HTTPField.Name("Idempotency-Key")!]) }
            return .ok
        }
        let tls = try ServerTLSContext(files: ServerTLSFiles(certificate: pki.leafCertificate, key: pki.leafKey))
        let app = Application(
            router: router, server: .http1(tls: tls, configuration: .init()), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let webhook = "https://localhost:\(try #require(client.port))/hook"
            let tracker = IncidentTracker()
            let events = tracker.record(window: 60, findings: [IncidentKindTests.finding(.blackHole)])
            let id = try #require(events.first?.incident.id)

            let trusting = IncidentNotifier(configuration: .init(webhooks: [webhook], caFile: pki.caFile), logger: Logger(label: "test"))
            let plain = IncidentNotifier(configuration: .init(webhooks: [webhook]), logger: Logger(label: "test"))
            let trustedFailures = await trusting.send(events)
            let untrustedFailures = await plain.send(events)
            await trusting.shutdown()
            await plain.shutdown()
            #expect(trustedFailures == 0)
            #expect(untrustedFailures == 1, "the system's roots do not know the test CA")
            #expect(received.withLock { $0 } == ["\(id)/opened"])
        }
    }
}
