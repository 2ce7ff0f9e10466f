import Foundation
import Logging
import NIOCore
import NIOPosix
import PingmeshTestSupport
import Testing

@testable import PingmeshAgent
@testable import PingmeshCollector
@testable import PingmeshController
@testable import PingmeshModel
@testable import PingmeshProbe

/// Traceroute on demand, end to end on loopback: an incident opens over pair a -> b, the
/// collector's requester takes the failing probe's 5-tuple from the stored failures, asks a real
/// controller for a traceroute task for agent a, a's task poller runs it from a's address and
/// fixed source port, and the path comes back attached to the incident. (The hop where loss
/// starts, through routers that drop, is checked by TracerouteNamespaceTests.)
@Suite("Incident traceroutes", .serialized)
struct IncidentTracerouteTests {
    static let (a, b) = ("127.0.92.1", "127.0.92.2")

    static func topology() -> TopologyFile {
        TopologyFile(
            datacenters: [
                .init(
                    name: "dc1",
                    podsets: [
                        .init(
                            name: "ps1",
                            pods: [.init(name: "pod1", servers: [.init(name: "a", ipv4: a), .init(name: "b", ipv4: b)])])
                    ])
            ])
    }

    static func incident(window: Int64, examples: [String], kind: Finding.Kind = .blackHole) -> Incident {
        let finding = Finding(
            kind: kind, component: .tor(name: "t1", podset: "ps1"), confidence: 0.9, badPairs: 1, pairs: 2, ratio: 0.5, examples: examples,
            explanation: "test")
        return Incident(
            id: "\(window)-test", state: .open, severity: .critical, kind: kind, component: finding.component, scope: "ToR t1", network: kind != .serverDown,
            startedAt: window, lastSeenAt: window, endedAt: nil, confidence: 0.9, evidence: finding, timeline: [])
    }

    @Test("an opened incident's worst pair is traced by its source agent with the failing 5-tuple, and the path joins the incident")
    func tracedThroughTask() async throws {
        let responder = try await TCPResponder(host: Self.b, port: 0, group: MultiThreadedEventLoopGroup.singleton).bind()
        defer { responder.close(promise: nil) }
        let port = try #require(responder.localAddress?.port)
        // Tasks are an admin operation: the collector asks with an admin token, the agent polls with its own.
        let (adminToken, agentToken) = ("admin-token-0123456789", "agent-token-0123456789")
        let controller = try await RunningController.start(
            host: "127.0.92.10", topology: Self.topology(), tokens: AccessTokens([adminToken: .admin, agentToken: .agent]))
        let poller = Task {
            await TaskPoller(
                controllers: [controller.url], agentName: "a", token: agentToken, wait: 5,
                runner: TaskRunner(probe: ManualProbe(), sourceAddress: Self.a, startGap: .zero)
            ).run()
        }
        defer { poller.cancel() }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-trace-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteResultStore(path: "\(directory)/store.sqlite")
        try await store.prepare()
        let window = (Int64(Date().timeIntervalSince1970) / 60 - 2) * 60
        // The target id exactly as an agent uploads it (`tcp://host:port`), and a probe that
        // got through only after a resent SYN: a lost packet, and a 5-tuple worth tracing.
        let target = ProbeTarget.identifier(kind: .tcp, host: Self.b, port: port, http: nil)
        #expect(target == "tcp://\(Self.b):\(port)")
        let failure = StoredFailure(
            source: "a", destination: "b", target: target, kind: .tcp, result: .retransmitted, at: (window + 10) * 1000, sourcePort: 20051)
        _ = try await store.ingest(
            IngestBatch(
                id: "trace-1", agent: AgentRecord(name: "a", version: nil, pinglistVersion: nil, labels: [:], lastUpload: window + 60, lastBatchCreated: window + 60),
                rows: [], failures: [failure], ports: [], placements: [:]))

        let tracker = IncidentTracker()
        let incident = Self.incident(window: window, examples: ["a -> b: 6 of 6 lost", "b -> a: 6 of 6 lost"])
        _ = tracker.record(window: window, findings: [incident.evidence])
        let opened = try #require(tracker.open.first)
        let requester = TracerouteRequester(
            configuration: .init(controller: controller.url, token: adminToken, maximumPairs: 2, wait: .seconds(30)), logger: Logger(label: "test"))
        #expect(TracerouteRequester.wants(opened))
        let traces = await requester.traceroutes(for: opened, store: store)
        #expect(tracker.attach(traces, to: opened.id))

        let attached = try #require(tracker.open.first?.traceroutes)
        // a -> b: the failing 5-tuple, then three comparison ports of the same pair; b -> a: why not.
        #expect(attached.count == 5, "\(attached)")
        let first = try #require(attached.first)
        #expect(first.source == "a" && first.destination == "b" && first.protocol == "tcp" && first.sourcePort == 20051, "\(first)")
        #expect(first.error == nil && first.reachedDestination == true && first.hops == [Self.b] && first.failing, "\(first)")
        let comparisons = attached.dropFirst().prefix(3)
        #expect(comparisons.allSatisfy { !$0.failing && $0.reachedDestination == true && $0.sourcePort != 20051 && $0.taskID != first.taskID })
        #expect(Set(comparisons.compactMap(\.sourcePort)) == Set(TracerouteRequester.comparisonPorts(3, avoiding: [20051], seed: "a>b")))
        #expect(first.taskID != nil)
        // No failing probe of b -> a on record: said so, nothing invented.
        #expect(attached.last?.error?.contains("no failing TCP or UDP probe") == true)
        // The task is there for the operator, with the whole path.
        let taskID = try #require(first.taskID)
        let task = try #require(controller.tasks.status(taskID))
        #expect(task.agents.first?.outcome?.traceroute?.paths.first?.sourcePort == 20051)
        await controller.stop()
    }

    @Test("a server that is down is not traced; example pairs are read from the finding's text")
    func whatIsTraced() {
        #expect(!TracerouteRequester.wants(Self.incident(window: 0, examples: ["a -> b: 6 of 6 lost"], kind: .serverDown)))
        #expect(!TracerouteRequester.wants(Self.incident(window: 0, examples: [])))
        let pairs = TracerouteRequester.pairs(of: Self.incident(window: 0, examples: ["x1 -> y2: p99 7000 us", "bad example"]))
        #expect(pairs.map { "\($0.source)>\($0.destination)" } == ["x1>y2"])
    }
}
