import Foundation
import Logging
import NIOCore
import NIOPosix
import PingmeshTestSupport
import ServiceLifecycle
import Synchronization
import Testing

@testable import PingmeshAgent
@testable import PingmeshController
@testable import PingmeshModel
@testable import PingmeshProbe

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A controller started for real on a loopback port, stoppable and restartable on that port.
final class RunningController: Sendable {
    let host: String
    let port: Int
    let tasks: TaskBoard
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(host: String, port: Int, tasks: TaskBoard, group: ServiceGroup, task: Task<Void, any Error>) {
        self.tasks = tasks
        self.host = host
        self.port = port
        self.group = group
        self.task = task
    }

    var url: String { "http://\(host):\(port)" }

    static func start(host: String, port: Int = 0, topology: TopologyFile, tokens: AccessTokens = AccessTokens()) async throws -> RunningController {
        let (ports, announce) = AsyncStream.makeStream(of: Int.self)
        let controller = Controller(
            configuration: .init(host: host, port: port, topology: topology, state: .init(registrationEnabled: false), tokens: tokens),
            logger: Logger(label: "test.controller")
        ) { announce.yield($0) }
        let group = ServiceGroup(services: [controller], gracefulShutdownSignals: [], logger: Logger(label: "test"))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let bound = try #require(await iterator.next())
        return RunningController(host: host, port: bound, tasks: controller.tasks, group: group, task: task)
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

@Suite("Agent and controller", .serialized)
struct ControllerPullTests {
    static func topology(responderHost: String, responderPort: Int) -> TopologyFile {
        TopologyFile(
            settings: PinglistSettingsFile(timeout: .seconds(1)), probe: .init(kind: .tcp, port: responderPort),
            datacenters: [
                .init(
                    name: "dc1",
                    podsets: [
                        .init(
                            name: "ps1",
                            pods: [
                                .init(name: "pod1", servers: [.init(name: "agent-1", ipv4: "127.0.90.1"), .init(name: "peer", ipv4: responderHost)])
                            ])
                    ])
            ])
    }

    private func metrics(_ url: String) async -> String {
        guard let (data, _) = try? await URLSession.shared.data(from: URL(string: url)!) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Waits for a condition the test offers no event for (another component's metrics), bounded.
    private func eventually(_ what: String, timeout: Duration = .seconds(15), _ condition: () async -> Bool) async {
        let deadline = ContinuousClock.now + timeout
        while await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("not within \(timeout): \(what)")
                return
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test("controller down for 3 pulls: the agent stops probing and keeps answering; controller back: probing resumes")
    func killSwitch() async throws {
        let peer = try await TCPResponder(host: "127.0.90.2", port: 0, group: MultiThreadedEventLoopGroup.singleton).bind()
        defer { peer.close(promise: nil) }
        let topology = Self.topology(responderHost: "127.0.90.2", responderPort: peer.localAddress!.port!)
        let controller = try await RunningController.start(host: "127.0.90.10", topology: topology)

        let (ready, signalReady) = AsyncStream.makeStream(of: AgentEndpoints.self)
        let agent = Agent(
            configuration: AgentConfiguration(
                name: "agent-1", httpListen: ListenAddress(host: "127.0.90.1", port: 0), tcpListen: ListenAddress(host: "127.0.90.1", port: 0), udpListen: ListenAddress(host: "127.0.90.1", port: 0)),
            source: ControllerPinglistSource(
                controllers: [controller.url], agentName: "agent-1", period: .milliseconds(100), requestTimeout: .milliseconds(500))
        ) { signalReady.yield($0) }
        let services = ServiceGroup(services: [agent], gracefulShutdownSignals: [], logger: Logger(label: "test"))
        let running = Task { try await services.run() }
        var readiness = ready.makeAsyncIterator()
        let endpoints = try #require(await readiness.next())
        let metricsURL = "http://\(endpoints.http)/metrics"

        await eventually("the agent probes its list") { await metrics(metricsURL).contains("pingmesh_agent_targets 1") }
        #expect(await metrics(metricsURL).contains("pingmesh_agent_probing_enabled 1"))

        await controller.stop()
        await eventually("three failed pulls stop probing") { await metrics(metricsURL).contains("pingmesh_agent_probing_enabled 0") }
        await eventually("the list is dropped") { await metrics(metricsURL).contains("pingmesh_agent_targets 0") }
        // Still answering other agents' probes.
        let prober = TCPProber(group: MultiThreadedEventLoopGroup.singleton)
        let answer = await prober.probe(ProbeRequest(address: try SocketAddress(ipAddress: "127.0.90.1", port: endpoints.tcp.port)))
        #expect(answer.result == .ok)

        let restarted = try await RunningController.start(host: "127.0.90.10", port: controller.port, topology: topology)
        await eventually("probing resumes on the next good pull") { await metrics(metricsURL).contains("pingmesh_agent_probing_enabled 1") }
        await eventually("with the whole list") { await metrics(metricsURL).contains("pingmesh_agent_targets 1") }

        await services.triggerGracefulShutdown()
        try await running.value
        await restarted.stop()
    }

    @Test("two controllers, one down: every pull succeeds through the other, with no gap")
    func failover() async throws {
        let topology = Self.topology(responderHost: "127.0.90.2", responderPort: 9)
        let live = try await RunningController.start(host: "127.0.90.11", topology: topology)
        defer { Task { await live.stop() } }
        let deadPort = try await TCPResponderHelper.freePort(host: "127.0.90.12")
        let source = ControllerPinglistSource(
            controllers: ["http://127.0.90.12:\(deadPort)", live.url], agentName: "agent-1", period: .milliseconds(50),
            requestTimeout: .milliseconds(500))
        let metrics = AgentMetrics(kinds: [.tcp])
        let delivered = Mutex<[Int]>([])
        let task = Task {
            try await source.run(metrics: metrics) { pinglist in delivered.withLock { $0.append(pinglist.targets.count) } }
        }
        await eventually("ten pulls") {
            let text = String(decoding: metrics.exposition(), as: UTF8.self)
            let notModified = text.split(separator: "\n").first { $0.hasPrefix(#"pingmesh_agent_pinglist_pulls_total{result="not_modified"}"#) }
            return (notModified.flatMap { Int($0.split(separator: " ").last!) } ?? 0) >= 10
        }
        task.cancel()
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(text.contains(#"pingmesh_agent_pinglist_pulls_total{result="failed"} 0"#), "a dead controller is skipped within the same pull")
        #expect(text.contains("pingmesh_agent_probing_enabled 1"))
        #expect(delivered.withLock { $0 } == [1], "one list delivered, then 304s: never an empty list")
    }
}
