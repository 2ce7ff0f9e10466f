import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PingmeshModel
import Testing

@testable import PingmeshController

/// A controller started without tokens serves pinglists, registrations and reads to anyone, and
/// refuses the operations that act on the fleet (tasks, upgrades) until the operator gives an
/// admin token or opens them on purpose.
@Suite("Controller: admin operations closed by default")
struct ClosedAdminTests {
    static let task = #"{"selector": "name=a", "action": {"probe": {"kind": "tcp", "target": "10.0.0.2:9301"}}}"#
    static let upgrade =
        #"{"version": "9.9.9", "url": "https://releases.example/pingmesh", "sha256": "abababababababababababababababababababababababababababababababab"}"#

    static func app(tokens: AccessTokens) -> (some ApplicationProtocol, ControllerState) {
        let state = ControllerState(configuration: .init(registrationEnabled: true), metrics: ControllerMetrics(), logger: Logger(label: "test"))
        state.setTopologyFile(ControllerAPITests.topology)
        state.rebuild()
        return (Application(router: ControllerAPI.router(state: state, tokens: tokens)), state)
    }

    static func post(_ client: some TestClientProtocol, _ uri: String, _ body: String, method: HTTPRequest.Method = .post, token: String? = nil)
        async throws -> (HTTPResponse.Status, String)
    {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: body)) {
            ($0.status, String(buffer: $0.body))
        }
    }

    @Test("without tokens: tasks and upgrades are refused with 401 naming --tokens and --insecure-open-admin; reads and pinglists are open")
    func closedWithoutTokens() async throws {
        let (app, _) = Self.app(tokens: AccessTokens())
        try await app.test(.router) { client in
            for (uri, body, method) in [("/v1/tasks", Self.task, HTTPRequest.Method.post), ("/v1/upgrade", Self.upgrade, .put)] {
                let (status, text) = try await Self.post(client, uri, body, method: method)
                #expect(status == .unauthorized, "\(method) \(uri): \(text)")
                #expect(text.contains("--tokens") && text.contains("--insecure-open-admin"), "\(text)")
                // Any bearer token at all is no better: there is none to match.
                let (withToken, _) = try await Self.post(client, uri, body, method: method, token: "someone-elses-token-0123")
                #expect(withToken == .unauthorized, "\(method) \(uri) with a made-up token")
            }
            try await client.execute(uri: "/v1/upgrade", method: .delete) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v1/tasks", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/pinglist/a", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains("pingmesh_controller_admin_open 0"))
            }
        }
    }

    @Test("--insecure-open-admin opens them, and the metric says so")
    func openedOnPurpose() async throws {
        let (app, _) = Self.app(tokens: AccessTokens(openAdmin: true))
        try await app.test(.router) { client in
            let (status, text) = try await Self.post(client, "/v1/tasks", Self.task)
            #expect(status == .created || status == .ok, "\(text)")
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains("pingmesh_controller_admin_open 1"))
            }
        }
    }

    @Test("with tokens: an agent token is forbidden, an admin token may")
    func tokensDecide() async throws {
        let tokens = AccessTokens([ControllerAPITests.adminToken: .admin, ControllerAPITests.agentToken: .agent])
        let (app, _) = Self.app(tokens: tokens)
        try await app.test(.router) { client in
            #expect(try await Self.post(client, "/v1/tasks", Self.task).0 == .unauthorized)
            #expect(try await Self.post(client, "/v1/tasks", Self.task, token: ControllerAPITests.agentToken).0 == .forbidden)
            let (status, text) = try await Self.post(client, "/v1/tasks", Self.task, token: ControllerAPITests.adminToken)
            #expect(status == .created || status == .ok, "\(text)")
        }
    }
}
