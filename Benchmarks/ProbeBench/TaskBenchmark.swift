import Foundation
import Logging
import PingmeshAgent
import PingmeshController
import PingmeshModel
import ServiceLifecycle
import Synchronization

/// `pingmesh-bench tasks`: task fan-out latency. A real controller on a loopback port and N
/// simulated agents, each long-polling it over HTTP as a real agent does; a task for all of
/// them is created, and the benchmark times, per agent, how long after the create call its task
/// started and how long until the controller held every result. The agents' probe is a stand-in
/// that answers at once, so the figures are the task path's own (dispatch, long poll, result
/// post), not a probe's RTT.
struct TaskBenchmark {
    var agents = 1000
    var runs = 5

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next().flatMap(Int.init), value > 0 else { Self.usage() }
            switch flag {
            case "--agents": agents = value
            case "--runs": runs = value
            default: Self.usage()
            }
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(Data("usage: pingmesh-bench tasks [--agents 1000] [--runs 5]\n".utf8))
        exit(2)
    }

    /// Answers at once and notes when it was called.
    final class InstantProbe: ManualProbing {
        let started = Mutex<[ContinuousClock.Instant]>([])
        func probe(_ request: ManualProbeRequest) async throws -> ManualProbeReport {
            started.withLock { $0.append(.now) }
            return ManualProbeReport(kind: request.kind, target: request.target, results: [.init(seq: 1, result: .ok, rttMs: 0.1, detail: nil)])
        }
    }

    func run() async throws {
        let servers = (0..<agents).map { TopologyFile.ServerFile(name: String(format: "agent-%05d", $0), ipv4: "10.\($0 / 65536).\($0 / 256 % 256).\($0 % 256)") }
        let pods = stride(from: 0, to: servers.count, by: 40).map { start in
            TopologyFile.PodFile(name: "pod\(start / 40)", servers: Array(servers[start..<min(start + 40, servers.count)]))
        }
        let topology = TopologyFile(datacenters: [.init(name: "dc1", podsets: [.init(name: "ps1", pods: pods)])])
        let (ports, announce) = AsyncStream.makeStream(of: Int.self)
        let logger = {
            var logger = Logger(label: "bench")
            logger.logLevel = .error
            return logger
        }()
        let controller = Controller(
            configuration: .init(host: "127.0.0.1", port: 0, topology: topology, state: .init(registrationEnabled: false)), logger: logger
        ) { announce.yield($0) }
        let group = ServiceGroup(services: [controller], gracefulShutdownSignals: [], logger: logger)
        let serving = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { return }
        let url = "http://127.0.0.1:\(port)"

        let probe = InstantProbe()
        let polling = Task {
            await withDiscardingTaskGroup { tasks in
                for server in servers {
                    tasks.addTask {
                        await TaskPoller(
                            controllers: [url], agentName: server.name, wait: 25,
                            runner: TaskRunner(probe: probe, startGap: .zero), logger: logger
                        ).run()
                    }
                }
            }
        }
        print("tasks: \(agents) agents long-polling a controller on loopback, \(runs) runs")
        var starts: [Double] = []
        var completions: [Double] = []
        for run in 0..<runs {
            // Every agent is waiting at the controller before the task is created.
            while controller.tasks.waitingPolls < agents { try await Task.sleep(for: .milliseconds(20)) }
            probe.started.withLock { $0.removeAll() }
            let spec = TaskSpec(
                selector: "dc=dc1", action: .probe(ManualProbeRequest(kind: "tcp", target: "127.0.0.1:9301", count: 1)))
            let created = ContinuousClock.now
            let status = try controller.tasks.create(
                spec, agents: servers.map { (name: $0.name, labels: ["dc": "dc1"]) })
            while controller.tasks.status(status.id)?.progress.finished != true { try await Task.sleep(for: .milliseconds(2)) }
            let finished = created.duration(to: .now)
            let started = probe.started.withLock { $0 }.map { created.duration(to: $0).seconds * 1000 }.sorted()
            let median = started[started.count / 2]
            let p99 = started[min(started.count - 1, started.count * 99 / 100)]
            print(
                String(
                    format: "run %d: task started on %d agents: median %.1f ms, p99 %.1f ms, last %.1f ms after the create; every result back in %.1f ms",
                    run + 1, started.count, median, p99, started.last ?? 0, finished.seconds * 1000))
            starts.append(median)
            completions.append(finished.seconds * 1000)
        }
        starts.sort()
        completions.sort()
        print(
            String(
                format: "tasks: median over %d runs: start median %.1f ms, all %d results back in %.1f ms", runs, starts[starts.count / 2],
                agents, completions[completions.count / 2]))
        polling.cancel()
        await group.triggerGracefulShutdown()
        _ = try? await serving.value
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
