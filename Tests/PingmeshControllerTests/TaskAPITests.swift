import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PingmeshModel
import Testing

@testable import PingmeshController

@Suite("Controller task API")
struct TaskAPITests {
    static let agentToken = "agent-token-0123456789"
    static let adminToken = "admin-token-0123456789"

    private func app(tasks: TaskBoard = TaskBoard()) -> some ApplicationProtocol {
        let state = ControllerState(configuration: .init(), metrics: ControllerMetrics(), logger: Logger(label: "test"))
        state.setTopologyFile(ControllerAPITests.topology)
        state.rebuild()
        return Application(
            router: ControllerAPI.router(
                state: state, tasks: tasks, tokens: AccessTokens([Self.agentToken: .agent, Self.adminToken: .admin])))
    }

    private func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }

    static let spec = #"{"selector": "pod=pod1", "action": {"probe": {"kind": "tcp", "target": "127.0.0.1:9301", "count": 2}}}"#

    @Test("only an admin token creates or reads tasks; agent tokens fetch and answer their own")
    func auth() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/v1/tasks", method: .post, headers: bearer(Self.agentToken), body: ByteBuffer(string: Self.spec)) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/v1/tasks", method: .post, body: ByteBuffer(string: Self.spec)) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/tasks", method: .get, headers: bearer(Self.agentToken)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/agent-tasks/a", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v1/agent-tasks/a", method: .get, headers: bearer(Self.agentToken)) { #expect($0.status == .ok) }
        }
    }

    @Test("create, fetch, answer, read back: per-agent results and progress")
    func roundTrip() async throws {
        try await app().test(.router) { client in
            let created = try await client.execute(
                uri: "/v1/tasks", method: .post, headers: bearer(Self.adminToken), body: ByteBuffer(string: Self.spec)
            ) { response in
                #expect(response.status == .created)
                return try JSONDecoder().decode(TaskStatus.self, from: Data(buffer: response.body))
            }
            #expect(created.agents.map(\.name) == ["a", "b"])
            let handed = try await client.execute(uri: "/v1/agent-tasks/a?wait=1", method: .get, headers: bearer(Self.agentToken)) { response in
                try JSONDecoder().decode(AgentTasks.self, from: Data(buffer: response.body)).tasks
            }
            #expect(handed.map(\.id) == [created.id])
            #expect(handed.first?.action == created.action)
            // At most once: the same agent asking again gets nothing.
            try await client.execute(uri: "/v1/agent-tasks/a", method: .get, headers: bearer(Self.agentToken)) { response in
                let tasks = try JSONDecoder().decode(AgentTasks.self, from: Data(buffer: response.body)).tasks
                #expect(tasks.isEmpty)
            }
            let report = ManualProbeReport(
                kind: "tcp", target: "127.0.0.1:9301", results: [.init(seq: 1, result: .ok, rttMs: 0.2, detail: nil)])
            let body = try JSONEncoder().encode(TaskOutcome(probe: report))
            try await client.execute(
                uri: "/v1/agent-tasks/a/\(created.id)", method: .post, headers: bearer(Self.agentToken), body: ByteBuffer(data: body)
            ) { #expect($0.status == .noContent) }
            try await client.execute(
                uri: "/v1/agent-tasks/a/\(created.id)", method: .post, headers: bearer(Self.agentToken), body: ByteBuffer(data: body)
            ) { #expect($0.status == .conflict) }
            try await client.execute(
                uri: "/v1/agent-tasks/c/\(created.id)", method: .post, headers: bearer(Self.agentToken), body: ByteBuffer(data: body)
            ) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/tasks/\(created.id)", method: .get, headers: bearer(Self.adminToken)) { response in
                let status = try JSONDecoder().decode(TaskStatus.self, from: Data(buffer: response.body))
                #expect(status.agents.map(\.state) == [.done, .pending])
                #expect(status.agents.first?.outcome?.probe == report)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect((json["progress"] as? [String: Any])?["done"] as? Int == 1)
            }
            try await client.execute(uri: "/v1/tasks", method: .get, headers: bearer(Self.adminToken)) { response in
                #expect(String(buffer: response.body).contains(created.id))
            }
        }
    }

    @Test(
        "bad requests are 4xx naming the field",
        arguments: [
            (#"{"selector": "pod=~(", "action": {"probe": {"kind": "tcp", "target": "x:1"}}}"#, "selector"),
            (#"{"selector": "pod=pod1", "action": {"shell": {"command": "rm -rf /"}}}"#, "action"),
            (#"{"selector": "pod=pod1", "action": {"probe": {"kind": "tcp", "target": "x:1", "count": 0}}}"#, "action.probe.count"),
            (#"{"selector": "pod=pod9", "action": {"probe": {"kind": "tcp", "target": "x:1"}}}"#, "matches no agent"),
            (#"{"selector": "pod=pod1"}"#, "action"),
            (#"{"selector": "pod=pod1", "action": {"traceroute": {"protocol": "tcp", "target": "10.0.0.9", "port": 9301, "max_hops": 99}}}"#, "action.traceroute.max_hops"),
            (#"{"selector": "pod=pod1", "action": {"traceroute": {"protocol": "icmp", "target": "10.0.0.9", "port": 1}}}"#, "protocol"),
            (#"not json"#, "request body"),
        ])
    func badRequests(body: String, field: String) async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/v1/tasks", method: .post, headers: bearer(Self.adminToken), body: ByteBuffer(string: body)) {
                response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains(field), "\(String(buffer: response.body))")
            }
        }
    }

    @Test("a long poll's wait is bounded and checked")
    func waitBounds() async throws {
        try await app().test(.router) { client in
            for wait in ["-1", "31", "soon"] {
                try await client.execute(uri: "/v1/agent-tasks/a?wait=\(wait)", method: .get, headers: bearer(Self.agentToken)) { response in
                    #expect(response.status == .badRequest)
                    #expect(String(buffer: response.body).contains("wait"))
                }
            }
            try await client.execute(uri: "/v1/tasks/unknown", method: .get, headers: bearer(Self.adminToken)) { #expect($0.status == .notFound) }
        }
    }

    @Test("a task poll's heartbeat shows in GET /v1/agents with the agent live; a malformed one is ignored; others are stale")
    func heartbeat() async throws {
        let beat = AgentHeartbeat(
            version: "1.2.3", build: "linux-x86_64 release", uptimeSeconds: 42, pinglistVersion: "abc", probing: true, targets: 2, probesSent: 100,
            probesFailed: 1, uploadPendingBatches: 0, secondsSinceUpload: 5, uploadDroppedBatches: 0)
        try await app().test(.router) { client in
            var headers = bearer(Self.agentToken)
            headers[HTTPField.Name(AgentHeartbeat.header)!] = beat.headerValue
            try await client.execute(uri: "/v1/agent-tasks/a", method: .get, headers: headers) { #expect($0.status == .ok) }
            headers[HTTPField.Name(AgentHeartbeat.header)!] = "not base64 json"
            try await client.execute(uri: "/v1/agent-tasks/b", method: .get, headers: headers) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/agents", method: .get, headers: bearer(Self.adminToken)) { response in
                let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                let agents = try #require(json["agents"] as? [[String: Any]])
                let a = try #require(agents.first { $0["name"] as? String == "a" })
                #expect(a["stale"] as? Bool == false)
                #expect(a["version"] as? String == "1.2.3")
                let heartbeat = try #require(a["heartbeat"] as? [String: Any])
                #expect(heartbeat["uptime_seconds"] as? Int == 42 && heartbeat["probes_failed"] as? Int == 1)
                let b = try #require(agents.first { $0["name"] as? String == "b" })
                #expect(b["stale"] as? Bool == false && b["heartbeat"] == nil)
                let c = try #require(agents.first { $0["name"] as? String == "c" })
                #expect(c["stale"] as? Bool == true && c["last_seen_seconds_ago"] == nil)
            }
        }
    }

    @Test("a heartbeat survives its header form; oversized or malformed values are dropped")
    func heartbeatHeader() {
        let beat = AgentHeartbeat(version: "v\u{e9}", build: nil, uptimeSeconds: 1, pinglistVersion: nil, probing: false, targets: 0, probesSent: 0, probesFailed: 0)
        #expect(AgentHeartbeat(headerValue: beat.headerValue) == beat)
        #expect(beat.headerValue.allSatisfy { $0.isASCII })
        #expect(AgentHeartbeat(headerValue: String(repeating: "A", count: 5000)) == nil)
        #expect(AgentHeartbeat(headerValue: "e30=") == nil)
    }
}
