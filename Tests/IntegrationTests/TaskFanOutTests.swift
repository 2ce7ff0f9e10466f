import Foundation
import Logging
import NIOCore
import NIOPosix
import PingmeshTestSupport
import Synchronization
import Testing

@testable import PingmeshAgent
@testable import PingmeshController
@testable import PingmeshModel
@testable import PingmeshProbe

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A task fanned out for real: a controller on a loopback port, 20 agents' task pollers long-
/// polling it over HTTP with agent tokens, each running a TCP probe of a loopback responder and
/// posting its report; the admin reads every result back.
@Suite("Task fan-out", .serialized)
struct TaskFanOutTests {
    static let agentToken = "agent-token-0123456789"
    static let adminToken = "admin-token-0123456789"

    static func topology(agents: Int) -> TopologyFile {
        let servers = (0..<agents).map { index in
            TopologyFile.ServerFile(name: String(format: "agent-%02d", index), ipv4: "127.0.91.\(index + 1)")
        }
        return TopologyFile(
            datacenters: [
                .init(
                    name: "dc1",
                    podsets: [
                        .init(
                            name: "ps1",
                            pods: [
                                .init(name: "pod1", servers: Array(servers.prefix(agents / 2))),
                                .init(name: "pod2", servers: Array(servers.dropFirst(agents / 2))),
                            ])
                    ])
            ])
    }

    static func request(_ url: String, method: String = "GET", token: String, body: String? = nil) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body.map { Data($0.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    @Test("a task reaches 20 agents through their long polls and every result comes back; a second poll runs nothing again")
    func fanOut() async throws {
        let responder = try await TCPResponder(host: "127.0.91.200", port: 0, group: MultiThreadedEventLoopGroup.singleton).bind()
        defer { responder.close(promise: nil) }
        let target = "127.0.91.200:\(responder.localAddress!.port!)"
        let controller = try await RunningController.start(
            host: "127.0.91.100", topology: Self.topology(agents: 20),
            tokens: AccessTokens([Self.agentToken: .agent, Self.adminToken: .admin]))
        let names = (0..<20).map { String(format: "agent-%02d", $0) }
        let runners = names.map { _ in TaskRunner(probe: ManualProbe(interval: .milliseconds(20)), startGap: .milliseconds(10)) }
        let polling = Task {
            await withDiscardingTaskGroup { group in
                for (name, runner) in zip(names, runners) {
                    group.addTask {
                        await TaskPoller(controllers: [controller.url], agentName: name, token: Self.agentToken, wait: 5, runner: runner).run()
                    }
                }
            }
        }
        defer { polling.cancel() }

        // Every poller is waiting at the controller before the task is created.
        let deadline = ContinuousClock.now + .seconds(20)
        while controller.tasks.waitingPolls < 20, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(controller.tasks.waitingPolls == 20)

        let spec = #"{"selector": "dc=dc1,name=~agent-.*", "action": {"probe": {"kind": "tcp", "target": "\#(target)", "count": 2}}}"#
        let created = ContinuousClock.now
        let (status, body) = try await Self.request("\(controller.url)/v1/tasks", method: "POST", token: Self.adminToken, body: spec)
        #expect(status == 201, "\(String(decoding: body, as: UTF8.self))")
        let id = try JSONDecoder().decode(TaskStatus.self, from: body).id

        var task: TaskStatus?
        while ContinuousClock.now < created + .seconds(20) {
            let (_, data) = try await Self.request("\(controller.url)/v1/tasks/\(id)", token: Self.adminToken)
            task = try JSONDecoder().decode(TaskStatus.self, from: data)
            if task?.progress.finished == true { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let finished = created.duration(to: .now)
        let result = try #require(task)
        #expect(result.progress.done == 20, "\(result.progress)")
        #expect(result.agents.map(\.name) == names)
        for agent in result.agents {
            #expect(agent.outcome?.probe?.summary.sent == 2)
            #expect(agent.outcome?.probe?.summary.ok == 2, "\(agent.name): \(String(describing: agent.outcome))")
        }
        print("task fan-out to 20 loopback agents: every result back in \(finished)")

        // Pollers keep polling; nobody runs the task a second time.
        try await Task.sleep(for: .milliseconds(300))
        let (_, again) = try await Self.request("\(controller.url)/v1/tasks/\(id)", token: Self.adminToken)
        #expect(try JSONDecoder().decode(TaskStatus.self, from: again).agents.allSatisfy { $0.state == .done })

        // A traceroute task: one agent traces the responder over loopback from two source ports (one
        // agent: two on one host would share the fixed 5-tuple).
        let trace = #"{"selector": "name=agent-00", "action": {"traceroute": {"protocol": "tcp", "target": "127.0.91.200", "port": \#(responder.localAddress!.port!), "source_ports": [20031, 20032], "timeout_ms": 500}}}"#
        let (traceStatus, traceBody) = try await Self.request("\(controller.url)/v1/tasks", method: "POST", token: Self.adminToken, body: trace)
        #expect(traceStatus == 201, "\(String(decoding: traceBody, as: UTF8.self))")
        let traceID = try JSONDecoder().decode(TaskStatus.self, from: traceBody).id
        var traced: TaskStatus?
        while ContinuousClock.now < created + .seconds(40) {
            let (_, data) = try await Self.request("\(controller.url)/v1/tasks/\(traceID)", token: Self.adminToken)
            traced = try JSONDecoder().decode(TaskStatus.self, from: data)
            if traced?.progress.finished == true { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(traced?.agents.count == 1)
        for agent in try #require(traced).agents {
            let paths = agent.outcome?.traceroute?.paths ?? []
            #expect(paths.map(\.sourcePort) == [20031, 20032], "\(agent.name): \(String(describing: agent.outcome))")
            #expect(paths.allSatisfy { $0.reachedDestination && $0.hops.count == 1 })
        }

        // An agent token cannot create tasks.
        let (refused, _) = try await Self.request("\(controller.url)/v1/tasks", method: "POST", token: Self.agentToken, body: spec)
        #expect(refused == 403)
        polling.cancel()
        await controller.stop()
    }

    @Test("a runner admits a task id once and never after it expired")
    func runnerAdmission() {
        let runner = TaskRunner(probe: ManualProbe(), now: { 1000 })
        let action = TaskAction.probe(ManualProbeRequest(kind: "tcp", target: "127.0.0.1:1"))
        #expect(runner.admit(TaskDispatch(id: "t1", action: action, expiresAt: 2000)))
        #expect(!runner.admit(TaskDispatch(id: "t1", action: action, expiresAt: 2000)))
        #expect(!runner.admit(TaskDispatch(id: "t2", action: action, expiresAt: 1000)))
    }
}
