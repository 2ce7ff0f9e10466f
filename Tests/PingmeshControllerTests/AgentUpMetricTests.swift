import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PingmeshModel
import PingmeshTestSupport
import Testing

@testable import PingmeshController

@Suite("pingmesh_agent_up on the controller")
struct AgentUpMetricTests {
    private func state(cap: Int = 5000) -> ControllerState {
        var configuration = ControllerState.Configuration()
        configuration.agentUpSeriesCap = cap
        let state = ControllerState(configuration: configuration, metrics: ControllerMetrics(), logger: Logger(label: "test"))
        state.setTopologyFile(ControllerAPITests.topology)
        state.rebuild()
        return state
    }

    private func metrics(_ state: ControllerState) async throws -> String {
        try await Application(router: ControllerAPI.router(state: state, tokens: AccessTokens())).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
        }
    }

    @Test("an agent is up once it pulls or polls for tasks, down before; the exposition passes promtool", .requires(.tool(.promtool)))
    func upAfterContact() async throws {
        let state = state()
        var text = try await metrics(state)
        #expect(text.contains("pingmesh_agent_up{agent=\"a\"} 0"))
        #expect(text.contains("pingmesh_controller_agents{state=\"down\"} 3"))
        try await Application(router: ControllerAPI.router(state: state, tokens: AccessTokens())).test(.router) { client in
            try await client.execute(uri: "/v1/pinglist/a", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/agent-tasks/b", method: .get) { #expect($0.status == .ok) }
        }
        text = try await metrics(state)
        #expect(text.contains("pingmesh_agent_up{agent=\"a\"} 1"))
        #expect(text.contains("pingmesh_agent_up{agent=\"b\"} 1"))
        #expect(text.contains("pingmesh_agent_up{agent=\"c\"} 0"))
        #expect(text.contains("pingmesh_controller_agents{state=\"up\"} 2"))
        let verdict = try await Promtool.check(text)
        #expect(verdict.status == 0, "\(verdict.stdout)\(verdict.stderr)")
    }

    @Test("an agent silent past the stale time is down again")
    func stale() {
        let state = state()
        state.seen(agent: "a")
        let later = ContinuousClock.now + .seconds(121)
        #expect(state.agentLiveness(staleAfter: .seconds(120)).first { $0.name == "a" }?.up == true)
        #expect(state.agentLiveness(staleAfter: .seconds(120), now: later).first { $0.name == "a" }?.up == false)
    }

    @Test("the series cap keeps down agents first and counts what it leaves out")
    func cap() async throws {
        let state = state(cap: 1)
        state.seen(agent: "a")
        state.seen(agent: "c")
        let text = try await metrics(state)
        #expect(text.contains("pingmesh_agent_up{agent=\"b\"} 0"))
        #expect(!text.contains("pingmesh_agent_up{agent=\"a\"}"))
        #expect(text.contains("pingmesh_controller_agent_up_series_omitted 2"))
        #expect(text.contains("pingmesh_controller_agents{state=\"up\"} 2"))
    }
}
