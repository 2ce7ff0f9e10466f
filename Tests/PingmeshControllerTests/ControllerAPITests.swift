import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PingmeshModel
import Testing
import Yams

@testable import PingmeshController

@Suite("Controller HTTP API")
struct ControllerAPITests {
    static let agentToken = "agent-token-0123456789"
    static let adminToken = "admin-token-0123456789"

    private func state(topology: TopologyFile? = Self.topology, registration: Bool = true) -> ControllerState {
        let state = ControllerState(
            configuration: .init(registrationEnabled: registration), metrics: ControllerMetrics(), logger: Logger(label: "test"))
        if let topology { state.setTopologyFile(topology) }
        state.rebuild()
        return state
    }

    static let topology = TopologyFile(
        datacenters: [
            .init(
                name: "dc1",
                podsets: [
                    .init(
                        name: "ps1",
                        pods: [
                            .init(name: "pod1", servers: [.init(name: "a", ipv4: "10.0.0.1"), .init(name: "b", ipv4: "10.0.0.2")]),
                            .init(name: "pod2", servers: [.init(name: "c", ipv4: "10.0.1.1")]),
                        ])
                ])
        ])

    private func app(_ state: ControllerState, tokens: AccessTokens = AccessTokens()) -> some ApplicationProtocol {
        Application(router: ControllerAPI.router(state: state, tokens: tokens))
    }

    private var tokens: AccessTokens { AccessTokens([Self.agentToken: .agent, Self.adminToken: .admin]) }

    private func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    @Test("a pinglist comes with its version as ETag; If-None-Match with it gives 304")
    func etag() async throws {
        try await app(state()).test(.router) { client in
            let etag = try await client.execute(uri: "/v1/pinglist/a", method: .get) { response in
                #expect(response.status == .ok)
                let etag = try #require(response.headers[.eTag])
                let (pinglist, _) = try PinglistDecoder.decode(Data(buffer: response.body), file: "response")
                #expect("\"\(pinglist.version)\"" == etag)
                #expect(Set(pinglist.targets.map(\.name)) == ["b", "c"])
                return etag
            }
            try await client.execute(uri: "/v1/pinglist/a", method: .get, headers: [.ifNoneMatch: etag]) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/v1/pinglist/a", method: .get, headers: [.ifNoneMatch: "\"stale\""]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/pinglist/nobody", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("'nobody' is not in the topology"))
            }
        }
    }

    @Test("two controller instances on the same topology serve byte-identical lists")
    func replicasAgree() async throws {
        var bodies: [ByteBuffer] = []
        for _ in 0..<2 {
            let body = try await app(state()).test(.router) { client in
                try await client.execute(uri: "/v1/pinglist/b", method: .get) { response in response.body }
            }
            bodies.append(body)
        }
        #expect(bodies[0] == bodies[1])
    }

    @Test("bearer tokens: none -> 401, agent scope pulls and registers but cannot list or read the topology, admin can")
    func auth() async throws {
        try await app(state(), tokens: tokens).test(.router) { client in
            try await client.execute(uri: "/v1/pinglist/a", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v1/pinglist/a", method: .get, headers: bearer("wrong-token-0000000000")) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/pinglist/a", method: .get, headers: bearer(Self.agentToken)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/agents", method: .get, headers: bearer(Self.agentToken)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/topology", method: .get, headers: bearer(Self.agentToken)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/agents", method: .get, headers: bearer(Self.adminToken)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/topology", method: .get, headers: bearer(Self.adminToken)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("registration: a valid agent joins the plan; bad fields are 400 naming the field; a clash is 409")
    func registration() async throws {
        let state = state()
        try await app(state).test(.router) { client in
            let good = #"{"name": "d", "addresses": ["10.9.0.4"], "labels": {"region": "eu"}, "version": "1.0"}"#
            try await client.execute(uri: "/v1/agents", method: .post, body: ByteBuffer(string: good)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""ttl_seconds":120"#))
            }
            state.rebuild()
            try await client.execute(uri: "/v1/pinglist/d", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/agents", method: .get) { response in
                #expect(String(buffer: response.body).contains(#""source":"registration""#))
            }

            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"name": "e", "addresses": ["10.9.0.300"]}"#, .badRequest, "addresses[0]: '10.9.0.300' is not an IPv4 or IPv6 address"),
                (#"{"name": "e", "addresses": []}"#, .badRequest, "addresses: at least one IP address"),
                (#"{"name": "e"}"#, .badRequest, "addresses: required field is missing"),
                (#"{"name": "e", "addresses": ["10.9.0.5"], "colour": "red"}"#, .badRequest, "colour: unknown field"),
                (#"{"name": "e", "addresses": ["10.9.0.5"], "labels": {"bad-label": "x"}}"#, .badRequest, "labels.bad-label"),
                (#"not json"#, .badRequest, "request body"),
                (#"{"name": "e", "addresses": ["10.0.0.1"]}"#, .conflict, "10.0.0.1 is already the address of"),
            ]
            for (body, status, message) in cases {
                try await client.execute(uri: "/v1/agents", method: .post, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == status, "\(body)")
                    #expect(String(buffer: response.body).contains(message), "\(String(buffer: response.body))")
                }
            }
            try await client.execute(uri: "/v1/agents", method: .post, body: ByteBuffer(repeating: 0x20, count: 70_000)) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
        #expect(state.registered.map(\.name) == ["d"], "nothing rejected was stored")
    }

    @Test("registration off: 403")
    func registrationOff() async throws {
        try await app(state(registration: false)).test(.router) { client in
            try await client.execute(uri: "/v1/agents", method: .post, body: ByteBuffer(string: #"{"name":"x","addresses":["10.1.1.1"]}"#)) {
                #expect($0.status == .forbidden)
            }
        }
    }

    @Test("not ready before any server is known; ready once a plan exists")
    func readiness() async throws {
        let empty = state(topology: nil)
        try await app(empty).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .serviceUnavailable) }
            try await client.execute(uri: "/v1/pinglist/a", method: .get) { #expect($0.status == .serviceUnavailable) }
        }
        try await app(state()).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("registered agents unseen past the TTL drop out of the plan")
    func expiry() throws {
        let state = state()
        #expect(state.register(AgentRegistration(name: "r1", addresses: ["10.7.0.1"])).isEmpty)
        state.rebuild()
        #expect(state.snapshot?.plan.topology.serverIndex["r1"] != nil)
        state.expireRegistrations(now: .now + .seconds(121))
        state.rebuild()
        #expect(state.snapshot?.plan.topology.serverIndex["r1"] == nil)
        #expect(state.registered.isEmpty)
    }

    @Test("openapi.yaml documents exactly the routes the server has")
    func openAPIAgrees() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        let spec = try #require(try Yams.load(yaml: text) as? [String: Any])
        let paths = try #require(spec["paths"] as? [String: Any])
        var documented = Set<String>()
        for (path, value) in paths {
            for method in (value as? [String: Any] ?? [:]).keys { documented.insert("\(method.uppercased()) \(path)") }
        }
        let served = Set(ControllerAPI.routes.map { "\($0.method.rawValue) \($0.path)" })
        #expect(documented == served, "only in the spec: \(documented.subtracting(served)); only in the server: \(served.subtracting(documented))")
    }

    @Test("every documented route answers (no 404 for a route the spec promises)")
    func routesAnswer() async throws {
        try await app(state(), tokens: AccessTokens(openAdmin: true)).test(.router) { client in
            let spec = #"{"selector": "name=a", "action": {"probe": {"kind": "tcp", "target": "127.0.0.1:9301"}}}"#
            let task = try await client.execute(uri: "/v1/tasks", method: .post, body: ByteBuffer(string: spec)) { response in
                try JSONDecoder().decode(TaskStatus.self, from: Data(buffer: response.body)).id
            }
            for route in ControllerAPI.routes {
                let uri = route.path.replacingOccurrences(of: "{agent}", with: "a").replacingOccurrences(of: "{id}", with: task)
                let body = route.method == .post ? ByteBuffer(string: #"{"name":"z","addresses":["10.5.5.5"]}"#) : nil
                try await client.execute(uri: uri, method: route.method, body: body) { response in
                    #expect(response.status != .notFound && response.status.code < 500, "\(route.method) \(uri): \(response.status)")
                }
            }
        }
    }

    @Test("a peer push with an impossible seen_seconds_ago is a 400 naming the field; a merge given one ignores it, never traps")
    func peerPushBounds() async throws {
        let state = state()
        try await app(state).test(.router) { client in
            let huge = #"{"entries": [{"registration": {"name": "x", "addresses": ["10.0.0.9"]}, "seen_seconds_ago": 1.0e307}]}"#
            try await client.execute(uri: "/v1/peer-registrations", method: .post, body: ByteBuffer(string: huge)) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("seen_seconds_ago"), "\(String(buffer: response.body))")
            }
            let fine = #"{"entries": [{"registration": {"name": "x", "addresses": ["10.0.0.9"]}, "seen_seconds_ago": 1.5}]}"#
            try await client.execute(uri: "/v1/peer-registrations", method: .post, body: ByteBuffer(string: fine)) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }
        }
        #expect(state.registered.map(\.name) == ["x"])
        let refused = state.mergePeerRegistrations([
            PeerRegistrations.Entry(registration: AgentRegistration(name: "y", addresses: ["10.0.0.10"]), seenSecondsAgo: 1.0e307)
        ])
        #expect(refused.isEmpty && state.registered.map(\.name) == ["x"], "too old to matter: ignored")
    }
}
