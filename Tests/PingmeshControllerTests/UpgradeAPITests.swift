import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PingmeshModel
import Testing

@testable import PingmeshController

@Suite("Controller upgrade API")
struct UpgradeAPITests {
    static let agentToken = "agent-token-0123456789"
    static let adminToken = "admin-token-0123456789"
    static let spec = #"""
        {"version": "2.0", "url": "https://releases.example/pingmesh", "sha256": "\#(String(repeating: "0f", count: 32))",
         "rollout": {"max_concurrent": 2, "health_timeout_seconds": 60, "max_failures": 1}}
        """#

    private func app(upgrades: UpgradeRollout) -> some ApplicationProtocol {
        let state = ControllerState(configuration: .init(), metrics: ControllerMetrics(), logger: Logger(label: "test"))
        state.setTopologyFile(ControllerAPITests.topology)
        state.rebuild()
        return Application(
            router: ControllerAPI.router(
                state: state, upgrades: upgrades, tokens: AccessTokens([Self.agentToken: .agent, Self.adminToken: .admin])))
    }

    private func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }

    /// A task poll from an agent on `version` with self-upgrade on; returns its offer.
    private func poll(_ client: some TestClientProtocol, agent: String, version: String) async throws -> UpgradeOffer? {
        var headers = bearer(Self.agentToken)
        headers[.init(AgentUpgradeHeaders.version)!] = version
        headers[.init(AgentUpgradeHeaders.selfUpgrade)!] = "on"
        return try await client.execute(uri: "/v1/agent-tasks/\(agent)", method: .get, headers: headers) { response in
            #expect(response.status == .ok)
            return try JSONDecoder().decode(AgentTasks.self, from: Data(buffer: response.body)).upgrade
        }
    }

    @Test("agent tokens cannot start, read or cancel a rollout (403); an admin can")
    func adminOnly() async throws {
        let upgrades = UpgradeRollout()
        try await app(upgrades: upgrades).test(.router) { client in
            try await client.execute(
                uri: "/v1/upgrade", method: .put, headers: bearer(Self.agentToken), body: ByteBuffer(string: Self.spec)
            ) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/v1/upgrade", method: .get, headers: bearer(Self.agentToken)) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/v1/upgrade", method: .delete, headers: bearer(Self.agentToken)) {
                #expect($0.status == .forbidden)
            }
            #expect(!upgrades.isActive)
            try await client.execute(uri: "/v1/upgrade", method: .get, headers: bearer(Self.adminToken)) {
                #expect($0.status == .noContent)
            }
            try await client.execute(
                uri: "/v1/upgrade", method: .put, headers: bearer(Self.adminToken), body: ByteBuffer(string: Self.spec)
            ) {
                #expect($0.status == .ok)
            }
            #expect(upgrades.isActive)
            try await client.execute(uri: "/v1/upgrade", method: .delete, headers: bearer(Self.adminToken)) {
                #expect($0.status == .noContent)
            }
            #expect(!upgrades.isActive)
        }
    }

    @Test("a bad rollout is refused with 400 naming the field")
    func badSpec() async throws {
        try await app(upgrades: UpgradeRollout()).test(.router) { client in
            let bad = Self.spec.replacingOccurrences(of: "https://", with: "ftp://")
            try await client.execute(uri: "/v1/upgrade", method: .put, headers: bearer(Self.adminToken), body: ByteBuffer(string: bad)) {
                #expect($0.status == .badRequest)
                #expect(String(buffer: $0.body).contains("url: "), "\(String(buffer: $0.body))")
            }
        }
    }

    @Test("an old agent (no version header) gets the same task answer as before, without upgrade")
    func backwardsCompatible() async throws {
        let upgrades = UpgradeRollout()
        try upgrades.start(try UpgradeSpec.decode(Data(Self.spec.utf8), file: "spec"))
        try await app(upgrades: upgrades).test(.router) { client in
            try await client.execute(uri: "/v1/agent-tasks/a", method: .get, headers: bearer(Self.agentToken)) { response in
                let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(Set(json.keys) == ["tasks"])
            }
        }
    }

    @Test("unhealthy new version: agents take the offer but never report it; the wave stops and no further offers are made")
    func unhealthyVersionStops() async throws {
        let clock = UpgradeRolloutTests.TestClock()
        let upgrades = UpgradeRollout(now: { clock.now })
        try await app(upgrades: upgrades).test(.router) { client in
            try await client.execute(
                uri: "/v1/upgrade", method: .put, headers: bearer(Self.adminToken), body: ByteBuffer(string: Self.spec)
            ) {
                #expect($0.status == .ok)
            }
            // The first wave: two of the three agents.
            #expect(try await poll(client, agent: "a", version: "1.0")?.version == "2.0")
            #expect(try await poll(client, agent: "b", version: "1.0")?.version == "2.0")
            #expect(try await poll(client, agent: "c", version: "1.0") == nil)
            // They restart on the old version (the new one is broken) and keep polling.
            clock.advance(30)
            #expect(try await poll(client, agent: "a", version: "1.0") == nil)
            clock.advance(31)
            #expect(try await poll(client, agent: "c", version: "1.0") == nil)
            let status = try await client.execute(uri: "/v1/upgrade", method: .get, headers: bearer(Self.adminToken)) { response in
                try JSONDecoder().decode(UpgradeStatus.self, from: Data(buffer: response.body))
            }
            #expect(status.stopped)
            #expect(status.stopReason?.contains("a, b") == true, "\(status.stopReason ?? "")")
            #expect(status.agents.map(\.state) == [.failed, .failed, .pending])
            for _ in 0..<3 { #expect(try await poll(client, agent: "c", version: "1.0") == nil) }
        }
    }

    @Test("an agent's failure report marks it failed at once; reports for another version are refused (409)")
    func failureReport() async throws {
        let upgrades = UpgradeRollout()
        try await app(upgrades: upgrades).test(.router) { client in
            let report = #"{"version": "2.0", "error": "sha256 mismatch"}"#
            try await client.execute(
                uri: "/v1/agent-upgrade/a", method: .post, headers: bearer(Self.agentToken), body: ByteBuffer(string: report)
            ) {
                #expect($0.status == .conflict)
            }
            try await client.execute(
                uri: "/v1/upgrade", method: .put, headers: bearer(Self.adminToken), body: ByteBuffer(string: Self.spec)
            ) {
                #expect($0.status == .ok)
            }
            #expect(try await poll(client, agent: "a", version: "1.0") != nil)
            let stale = #"{"version": "1.9", "error": "x"}"#
            try await client.execute(
                uri: "/v1/agent-upgrade/a", method: .post, headers: bearer(Self.agentToken), body: ByteBuffer(string: stale)
            ) {
                #expect($0.status == .conflict)
            }
            try await client.execute(
                uri: "/v1/agent-upgrade/a", method: .post, headers: bearer(Self.agentToken), body: ByteBuffer(string: "{}")
            ) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(
                uri: "/v1/agent-upgrade/a", method: .post, headers: bearer(Self.agentToken), body: ByteBuffer(string: report)
            ) {
                #expect($0.status == .noContent)
            }
            let status = try #require(upgrades.status())
            #expect(status.stopped && status.agents.first?.state == .failed && status.agents.first?.error == "sha256 mismatch")
        }
    }
}
