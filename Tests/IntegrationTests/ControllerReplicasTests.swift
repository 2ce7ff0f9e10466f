import Foundation
import Logging
import NIOCore
import NIOPosix
import PingmeshController
import PingmeshModel
import ServiceLifecycle
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Two controller replicas in registration mode, each told of the other (`--peer`), as behind one
/// load-balanced address: agents register with whichever replica the balancer picks, and both
/// replicas then serve byte-identical pinglists; an agent heard by either stays registered on
/// both, and one heard by neither expires on both.
@Suite("Controller replicas", .serialized)
struct ControllerReplicasTests {
    static let agentToken = "replica-agent-token-0123456789"
    static let hosts = ["127.0.95.1", "127.0.95.2"]

    struct Replicas {
        let urls: [String]
        let states: [ControllerState]
        let group: ServiceGroup
        let task: Task<Void, any Error>

        func stop() async {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
        }
    }

    static func start(ttl: Duration) async throws -> Replicas {
        let port = try await TCPResponderHelper.freePort(host: hosts[0])
        let urls = hosts.map { "http://\($0):\(port)" }
        let (running, announce) = AsyncStream.makeStream(of: Int.self)
        let controllers = hosts.enumerated().map { index, host in
            var configuration = Controller.Configuration(
                host: host, port: port, state: .init(registrationTTL: ttl, registrationEnabled: true),
                tokens: AccessTokens([agentToken: .agent]))
            configuration.peers = [urls[1 - index]]
            configuration.peerToken = agentToken
            configuration.peerPushPeriod = .milliseconds(300)
            return Controller(configuration: configuration, logger: Logger(label: "test.replica\(index)")) { announce.yield($0) }
        }
        let group = ServiceGroup(services: controllers, gracefulShutdownSignals: [], logger: Logger(label: "test"))
        let task = Task { try await group.run() }
        var iterator = running.makeAsyncIterator()
        for _ in controllers { _ = await iterator.next() }
        return Replicas(urls: urls, states: controllers.map(\.state), group: group, task: task)
    }

    static func request(_ url: String, method: String = "GET", body: String? = nil) async throws -> (status: Int, body: Data, etag: String?) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.setValue("Bearer \(agentToken)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body.map { Data($0.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, data, http?.value(forHTTPHeaderField: "ETag"))
    }

    /// Registers `name` in a region of its own: agents probe the agents of the other regions.
    static func register(_ name: String, address: String, at url: String) async throws {
        let body = #"{"name": "\#(name)", "addresses": ["\#(address)"], "labels": {"region": "region-\#(name)"}}"#
        let (status, data, _) = try await request("\(url)/v1/agents", method: "POST", body: body)
        #expect(status == 200, "\(String(decoding: data, as: UTF8.self))")
    }

    /// Waits until `condition` holds, up to `seconds`.
    static func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    @Test("agents registered with either replica get byte-identical pinglists from both")
    func identicalPinglists() async throws {
        let replicas = try await Self.start(ttl: .seconds(60))
        defer { Task { await replicas.stop() } }
        try await Self.register("a", address: "10.9.0.1", at: replicas.urls[0])
        try await Self.register("b", address: "10.9.0.2", at: replicas.urls[1])
        try await Self.register("c", address: "10.9.0.3", at: replicas.urls[0])

        let agreed = try await Self.eventually(10) {
            var lists: [Data] = []
            var tags: [String?] = []
            for url in replicas.urls {
                for agent in ["a", "b", "c"] {
                    let (status, body, etag) = try await Self.request("\(url)/v1/pinglist/\(agent)")
                    guard status == 200 else { return false }
                    lists.append(body)
                    tags.append(etag)
                }
            }
            // Each agent's list the same on both replicas, byte for byte, with the same version.
            return lists[0..<3] == lists[3..<6] && tags[0..<3] == tags[3..<6]
        }
        #expect(agreed, "the replicas did not agree within 10 s")
        let (_, list, _) = try await Self.request("\(replicas.urls[1])/v1/pinglist/a")
        let text = String(decoding: list, as: UTF8.self)
        #expect(text.contains("10.9.0.2") && text.contains("10.9.0.3"), "a probes b and c: \(text)")
        #expect(replicas.states.allSatisfy { $0.registered.map(\.name) == ["a", "b", "c"] })
    }

    @Test("an agent heard by one replica stays registered on both; one heard by neither expires on both")
    func expiryAgrees() async throws {
        let replicas = try await Self.start(ttl: .seconds(3))
        defer { Task { await replicas.stop() } }
        try await Self.register("a", address: "10.9.1.1", at: replicas.urls[0])
        try await Self.register("b", address: "10.9.1.2", at: replicas.urls[0])
        // Only replica 2 hears from a from now on (its pulls), for longer than the TTL.
        let until = Date().addingTimeInterval(5)
        while Date() < until {
            _ = try await Self.request("\(replicas.urls[1])/v1/pinglist/a")
            try await Task.sleep(for: .milliseconds(500))
        }
        for url in replicas.urls {
            #expect(try await Self.request("\(url)/v1/pinglist/a").status == 200, "a is alive on \(url)")
            #expect(try await Self.request("\(url)/v1/pinglist/b").status == 404, "b expired on \(url)")
        }
        // Then nobody hears from a (a pull would be a heartbeat, so the replicas' own state is
        // read): it expires on both.
        let gone = try await Self.eventually(8) { replicas.states.allSatisfy { $0.registered.isEmpty } }
        #expect(gone, "a should expire on both replicas")
    }
}
