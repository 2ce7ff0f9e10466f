import AsyncHTTPClient
import Foundation
import NIOCore
import PingmeshAgent
import PingmeshModel
import PingmeshWire
import Synchronization

/// `pingmesh-bench load --binary PATH [--agents 1000] [--peers 300] [--seconds 600]
/// [--pull-period 30] [--window 60] [--store sqlite|URL] [--format json|protobuf]`
///
/// The load test: two controllers and one collector run as real processes of the given
/// `pingmesh` binary (a release build), and N simulated agents talk to them over loopback as
/// real agents do: each pulls its pinglist from one controller every pull period (with
/// If-None-Match, as agents do), holds a task long poll open on it all the time (wait=25), and
/// uploads one gzip batch of `peers` window summaries to the collector every window. Agents start
/// spread over the period. Prints, per request kind, requests/s, errors and p50/p99 latency, and
/// per server its CPU share and its RSS at start, peak and end (sampled every 10 s from /proc).
struct LoadBenchmark {
    var binary = ".build-bench/release/pingmesh"
    var agents = 1000
    var peers = 300
    var seconds = 600
    var pullPeriod = 30
    var window = 60
    /// `sqlite` (a fresh file) or a store URL for the collector.
    var store = "sqlite"
    var format = UploadFormat.json

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { Self.usage() }
            switch flag {
            case "--binary":
                binary = value
                continue
            case "--store":
                store = value
                continue
            case "--format":
                guard let chosen = UploadFormat(rawValue: value) else { Self.usage() }
                format = chosen
                continue
            default: break
            }
            guard let number = Int(value), number > 0 else { Self.usage() }
            switch flag {
            case "--agents": agents = number
            case "--peers": peers = number
            case "--seconds": seconds = number
            case "--pull-period": pullPeriod = number
            case "--window": window = number
            default: Self.usage()
            }
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(
            Data("usage: pingmesh-bench load [--binary PATH] [--agents 1000] [--peers 300] [--seconds 600] [--pull-period 30] [--window 60] [--store sqlite|URL] [--format json|protobuf]\n".utf8))
        exit(2)
    }

    /// Latencies and errors per request kind, from every agent task.
    final class Recorder: Sendable {
        private let state = Mutex<[String: (latencies: [Double], errors: Int, lastError: String?)]>([:])
        func record(_ kind: String, seconds: Double) { state.withLock { $0[kind, default: ([], 0, nil)].latencies.append(seconds) } }
        func fail(_ kind: String, _ error: String) {
            state.withLock {
                $0[kind, default: ([], 0, nil)].errors += 1
                $0[kind]?.lastError = error
            }
        }
        var snapshot: [String: (latencies: [Double], errors: Int, lastError: String?)] { state.withLock { $0 } }
    }

    func name(_ index: Int) -> String { String(format: "srv-%05d", index) }
    func address(_ index: Int) -> String { "10.\(index / 65536).\(index / 256 % 256).\(index % 256)" }

    func run() async throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            FileHandle.standardError.write(Data("load: \(binary) is not an executable (swift build -c release)\n".utf8))
            exit(2)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-load-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try topologyYAML().write(toFile: "\(directory)/topology.yaml", atomically: true, encoding: .utf8)

        let controllerPorts = [try BenchServers.freePort(), try BenchServers.freePort()]
        let collectorPort = try BenchServers.freePort()
        var servers: [(name: String, process: Process)] = []
        for (index, port) in controllerPorts.enumerated() {
            servers.append(
                ("controller \(index + 1)",
                 try BenchServers.launch(binary, ["controller", "--topology", "\(directory)/topology.yaml", "--listen", "127.0.0.1:\(port)", "--no-registration", "--log-level", "error"],
                    log: "\(directory)/controller\(index).log")))
        }
        servers.append(
            ("collector",
             try BenchServers.launch(binary, ["collector", "--store", store == "sqlite" ? "sqlite:\(directory)/load.db" : store, "--listen", "127.0.0.1:\(collectorPort)", "--log-level", "error"],
                log: "\(directory)/collector.log")))
        defer { for server in servers { server.process.terminate() } }

        var client = HTTPClient.Configuration()
        client.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = agents + 64
        client.timeout.connect = .seconds(5)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: client)
        for port in controllerPorts + [collectorPort] { try await BenchServers.waitForHealth(http, "http://127.0.0.1:\(port)/healthz") }

        print(
            "load: \(agents) simulated agents (\(peers) peers each), 2 controllers, 1 collector (\(store == "sqlite" ? "SQLite" : store), \(format.rawValue) uploads), \(seconds) s; pulls every \(pullPeriod) s, uploads every \(window) s, long polls held open"
        )
        let recorder = Recorder()
        let started = ContinuousClock.now
        let deadline = started + .seconds(seconds)
        var samples: [[(cpu: Double, rssMiB: Double)]] = []
        let load = Task {
            await withDiscardingTaskGroup { group in
                for agent in 0..<agents {
                    let controller = "http://127.0.0.1:\(controllerPorts[agent % 2])"
                    let collector = "http://127.0.0.1:\(collectorPort)"
                    let offset = Double(agent) / Double(agents)
                    group.addTask { await pulls(agent, controller: controller, offset: offset, deadline: deadline, http: http, recorder: recorder) }
                    group.addTask { await polls(agent, controller: controller, offset: offset, deadline: deadline, http: http, recorder: recorder) }
                    group.addTask { await uploads(agent, collector: collector, offset: offset, deadline: deadline, http: http, recorder: recorder) }
                }
            }
        }
        while ContinuousClock.now < deadline {
            samples.append(servers.map { BenchServers.usage(of: $0.process.processIdentifier) })
            try? await Task.sleep(for: .seconds(10))
        }
        samples.append(servers.map { BenchServers.usage(of: $0.process.processIdentifier) })
        await load.value
        let elapsed = Double((ContinuousClock.now - started).components.seconds)

        for (kind, figures) in recorder.snapshot.sorted(by: { $0.key < $1.key }) {
            let sorted = figures.latencies.sorted()
            func quantile(_ q: Double) -> Double { sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] * 1000 }
            print(
                String(
                    format: "  %-8@ %8d requests, %6.1f/s, %d errors, p50 %.1f ms, p99 %.1f ms%@", kind as NSString, sorted.count,
                    Double(sorted.count) / elapsed, figures.errors, quantile(0.5), quantile(0.99),
                    (figures.lastError.map { " (last error: \($0))" } ?? "") as NSString))
        }
        for (index, server) in servers.enumerated() {
            let series = samples.map { $0[index] }
            let cpu = (series.last!.cpu - series.first!.cpu) / elapsed * 100
            let peak = series.map(\.rssMiB).max() ?? 0
            print(
                String(
                    format: "  %-13@ CPU %5.1f%% of a core, RSS %.0f MiB at start, %.0f MiB peak, %.0f MiB at end%@", server.name as NSString, cpu,
                    series.first!.rssMiB, peak, series.last!.rssMiB, server.process.isRunning ? "" : " (EXITED)"))
            // One sample a minute, to tell a working set that levels off from one that grows.
            let perMinute = stride(from: 0, to: series.count, by: 6).map { String(format: "%.0f", series[$0].rssMiB) }
            print("    RSS by minute (MiB): \(perMinute.joined(separator: " "))")
        }
        try await http.shutdown()
    }

    // MARK: The simulated agents

    func pulls(_ agent: Int, controller: String, offset: Double, deadline: ContinuousClock.Instant, http: HTTPClient, recorder: Recorder) async {
        try? await Task.sleep(for: .seconds(Double(pullPeriod) * offset))
        var etag: String?
        while ContinuousClock.now < deadline {
            var request = HTTPClientRequest(url: "\(controller)/v1/pinglist/\(name(agent))")
            if let etag { request.headers.add(name: "If-None-Match", value: etag) }
            await timed("pull", recorder) {
                let response = try await http.execute(request, timeout: .seconds(30))
                _ = try await response.body.collect(upTo: 16 << 20)
                guard response.status == .ok || response.status == .notModified else { throw LoadError("pull: HTTP \(response.status.code)") }
                etag = response.headers.first(name: "ETag") ?? etag
            }
            try? await Task.sleep(for: .seconds(pullPeriod))
        }
    }

    func polls(_ agent: Int, controller: String, offset: Double, deadline: ContinuousClock.Instant, http: HTTPClient, recorder: Recorder) async {
        try? await Task.sleep(for: .seconds(Double(pullPeriod) * offset))
        while ContinuousClock.now + .seconds(26) < deadline {
            let request = HTTPClientRequest(url: "\(controller)/v1/agent-tasks/\(name(agent))?wait=25")
            await timed("poll", recorder) {
                let response = try await http.execute(request, timeout: .seconds(40))
                _ = try await response.body.collect(upTo: 1 << 20)
                guard response.status == .ok else { throw LoadError("poll: HTTP \(response.status.code)") }
            }
        }
    }

    func uploads(_ agent: Int, collector: String, offset: Double, deadline: ContinuousClock.Instant, http: HTTPClient, recorder: Recorder) async {
        try? await Task.sleep(for: .seconds(Double(window) * offset))
        var sequence = 0
        var random = SplitMix64(seed: UInt64(agent))
        while ContinuousClock.now < deadline {
            let now = Int64(Date().timeIntervalSince1970)
            let start = now / Int64(window) * Int64(window) - Int64(window)
            let windows = (0..<peers).map { k -> WindowSummary in
                let peer = (agent + 1 + k * 3) % agents
                var sketch = LatencySketch()
                for _ in 0..<6 { sketch.record(microseconds: 150 + random.next() % 600) }
                return WindowSummary(
                    start: start, seconds: window, target: "tcp://\(address(peer)):9301", name: name(peer), kind: .tcp,
                    labels: ["tor": "pod\(peer / 40)", "dc": "dc1"], counts: ResultCounts(ok: 6), rtt: sketch)
            }
            let batch = ResultBatch(
                id: "load-\(agent)-\(sequence)", agent: name(agent), labels: ["tor": "pod\(agent / 40)", "dc": "dc1"], createdAt: now * 1000,
                windows: windows)
            sequence += 1
            await timed("upload", recorder) {
                var request = HTTPClientRequest(url: "\(collector)/v1/results")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: format.contentType)
                request.headers.add(name: "Content-Encoding", value: "gzip")
                request.body = .bytes(ByteBuffer(bytes: try ResultSpool.encode(batch, as: format)))
                let response = try await http.execute(request, timeout: .seconds(30))
                _ = try await response.body.collect(upTo: 1 << 20)
                guard (200..<300).contains(response.status.code) else { throw LoadError("upload: HTTP \(response.status.code)") }
            }
            try? await Task.sleep(for: .seconds(window))
        }
    }

    func timed(_ kind: String, _ recorder: Recorder, _ body: () async throws -> Void) async {
        let began = ContinuousClock.now
        do {
            try await body()
            let elapsed = ContinuousClock.now - began
            recorder.record(kind, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        } catch {
            recorder.fail(kind, "\(error)")
        }
    }

    // MARK: Processes

    func topologyYAML() -> String {
        var text = "datacenters:\n  - name: dc1\n    podsets:\n      - name: ps1\n        pods:\n"
        for pod in stride(from: 0, to: agents, by: 40) {
            text += "          - name: pod\(pod / 40)\n            servers:\n"
            for server in pod..<min(pod + 40, agents) { text += "              - {name: \(name(server)), ipv4: \(address(server))}\n" }
        }
        return text
    }
}

struct LoadError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
