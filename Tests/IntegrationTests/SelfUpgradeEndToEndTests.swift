import Crypto
import Foundation
import Hummingbird
import NIOCore
import Synchronization
import Testing

@testable import PingmeshAgent
@testable import PingmeshController
@testable import PingmeshModel

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A rollout for real over loopback HTTP: a controller, a release server, and two agents' task
/// pollers with self-upgraders installing into scratch files; a "restart" is a new poller
/// reporting the new version.
@Suite("Self-upgrade end to end", .serialized)
struct SelfUpgradeEndToEndTests {
    static let binary: [UInt8] = Array("#!/bin/sh\necho pingmesh 2.0\n".utf8) + [UInt8](repeating: 7, count: 100_000)

    /// Serves `binary` at /binary on `host`.
    static func releaseServer(host: String) async throws -> (url: String, server: Task<Void, any Error>) {
        let router = Router()
        router.get("binary") { _, _ in Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(bytes: binary))) }
        let (ports, reportPort) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: 0)),
            onServerRunning: { reportPort.yield($0.localAddress?.port ?? 0) })
        let server = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return ("http://\(host):\(port)", server)
    }

    static func topology() -> TopologyFile {
        TopologyFile(datacenters: [
            .init(
                name: "dc1",
                podsets: [
                    .init(
                        name: "ps1",
                        pods: [
                            .init(name: "pod1", servers: [.init(name: "agent-1", ipv4: "127.0.104.1")]),
                            .init(name: "pod2", servers: [.init(name: "agent-2", ipv4: "127.0.104.2")]),
                        ])
                ])
        ])
    }

    static func request(_ url: String, method: String = "GET", body: String? = nil) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    static func status(_ controller: String) async throws -> UpgradeStatus {
        let (code, data) = try await request("\(controller)/v1/upgrade")
        #expect(code == 200)
        return try JSONDecoder().decode(UpgradeStatus.self, from: data)
    }

    @Test(
        "waves of one: the first agent installs and exits, the second waits; once the first is back on the new version, the second goes",
        .timeLimit(.minutes(1)))
    func rollout() async throws {
        let (releaseURL, release) = try await Self.releaseServer(host: "127.0.104.200")
        defer { release.cancel() }
        // A rollout is an admin operation, opened here as a lab opens it.
        let controller = try await RunningController.start(
            host: "127.0.104.100", topology: Self.topology(), tokens: AccessTokens(openAdmin: true))
        defer { Task { await controller.stop() } }
        let directory = NSTemporaryDirectory() + "pingmesh-e2e-upgrade-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let digest = SHA256.hash(data: Self.binary).map { String(format: "%02x", $0) }.joined()
        // The release key signs the version and digest; agents hold its public half.
        let releaseKey = Curve25519.Signing.PrivateKey()
        let signature = try UpgradeSignature.sign(version: "2.0", sha256: digest, with: releaseKey)
        let spec =
            #"{"version": "2.0", "url": "\#(releaseURL)/binary", "sha256": "\#(digest)", "signature": "\#(signature)", "rollout": {"max_concurrent": 1, "health_timeout_seconds": 60}}"#
        #expect(try await Self.request("\(controller.url)/v1/upgrade", method: "PUT", body: spec).0 == 200)

        let exits = Mutex<[String]>([])
        // Each install's exit, as an event to await rather than a condition to poll.
        let (exitEvents, exitSignal) = AsyncStream.makeStream(of: String.self)
        var nextExit = exitEvents.makeAsyncIterator()
        func start(_ name: String, version: String) -> Task<Void, Never> {
            let path = "\(directory)/\(name)"
            _ = FileManager.default.createFile(atPath: path, contents: Data("old".utf8))
            let upgrader = SelfUpgrader(installPath: path, publicKey: releaseKey.publicKey) {
                exits.withLock { $0.append(name) }
                exitSignal.yield(name)
            }
            let poller = TaskPoller(
                controllers: [controller.url], agentName: name, wait: 1, runner: TaskRunner(probe: ManualProbe()), agentVersion: version,
                upgrader: upgrader)
            return Task { await poller.run() }
        }
        var running = ["agent-1": start("agent-1", version: "1.0"), "agent-2": start("agent-2", version: "1.0")]
        defer { for task in running.values { task.cancel() } }

        let deadline = ContinuousClock.now + .seconds(20)
        func waitFor(_ what: String, _ condition: () async throws -> Bool) async throws {
            while try await !condition() {
                guard ContinuousClock.now < deadline else {
                    Issue.record("not in time: \(what)")
                    return
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let first = try #require(await nextExit.next(), "one agent installs")
        let second = first == "agent-1" ? "agent-2" : "agent-1"
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(first)"))) == Self.binary)
        // A wave of one: the other agent keeps polling without an offer.
        try await Task.sleep(for: .seconds(1.5))
        #expect(exits.withLock { $0 } == [first])
        let midway = try await Self.status(controller.url)
        #expect(midway.agents.map(\.state) == (first == "agent-1" ? [.upgrading, .pending] : [.pending, .upgrading]))

        // The supervisor restarts the first agent on the new binary.
        running[first]?.cancel()
        running[first] = start(first, version: "2.0")
        #expect(await nextExit.next() == second, "the second agent installs")
        #expect(exits.withLock { $0 } == [first, second])
        running[second]?.cancel()
        running[second] = start(second, version: "2.0")
        try await waitFor("both done") { try await Self.status(controller.url).counts["done"] == 2 }
        let final = try await Self.status(controller.url)
        #expect(!final.stopped && final.agents.allSatisfy { $0.state == .done && $0.version == "2.0" })
    }
}
