import AsyncHTTPClient
import Foundation
import NIOCore
import PingmeshAgent
import PingmeshModel
import PingmeshWire
import Synchronization

/// `pingmesh-bench ingest [--binary PATH] [--store sqlite|URL] [--agents 400] [--peers 300]
/// [--senders 8] [--runs 3] [--formats json,protobuf]`
///
/// The collector's cost per window summary, end to end (HTTP, gunzip, decode, validation, store
/// commit), for each upload format in the same run. One collector process of the given binary
/// per run, on a fresh SQLite file (or the given store URL); `agents` batches of `peers`
/// summaries each, encoded and gzipped beforehand as agents spool them, posted by `senders`
/// concurrent connections. The collector's CPU time (user + system, from /proc) over the
/// summaries stored is the cost; runs alternate between formats and the median is printed with
/// the ratio to JSON.
struct IngestBenchmark {
    var binary = ".build-bench/release/pingmesh"
    var store = "sqlite"
    var agents = 400
    var peers = 300
    var senders = 8
    var runs = 3
    var formats = UploadFormat.allCases

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { Self.usage() }
            switch flag {
            case "--binary": binary = value
            case "--store": store = value
            case "--formats":
                let chosen = value.split(separator: ",").compactMap { UploadFormat(rawValue: String($0)) }
                guard !chosen.isEmpty else { Self.usage() }
                formats = chosen
            default:
                guard let number = Int(value), number > 0 else { Self.usage() }
                switch flag {
                case "--agents": agents = number
                case "--peers": peers = number
                case "--senders": senders = number
                case "--runs": runs = number
                default: Self.usage()
                }
            }
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(
            Data("usage: pingmesh-bench ingest [--binary PATH] [--store sqlite|URL] [--agents 400] [--peers 300] [--senders 8] [--runs 3] [--formats json,protobuf]\n".utf8))
        exit(2)
    }

    struct Figures {
        var microsecondsPerSummary: Double
        var summariesPerSecond: Double
        var peakRSSMiB: Double
        var bodyBytes: Int
    }

    func run() async throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            FileHandle.standardError.write(Data("ingest: \(binary) is not an executable (swift build -c release)\n".utf8))
            exit(2)
        }
        var client = HTTPClient.Configuration()
        client.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = senders
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: client)
        defer { _ = http.shutdown() }
        print(
            "ingest: \(agents) batches x \(peers) summaries per run, \(senders) senders, store \(store), \(runs) runs per format (collector CPU per summary, end to end)"
        )
        var results: [UploadFormat: [Figures]] = [:]
        for run in 0..<runs {
            for format in formats {
                let bodies = try batches(run: run).map { try ResultSpool.encode($0, as: format) }
                let figures = try await measure(format: format, bodies: bodies, http: http, run: run)
                results[format, default: []].append(figures)
                print(
                    String(
                        format: "  run %d %-8@ %6.1f us/summary, %7.0f summaries/s, peak RSS %.0f MiB, %.0f bytes/summary on the wire", run + 1,
                        format.rawValue as NSString, figures.microsecondsPerSummary, figures.summariesPerSecond, figures.peakRSSMiB,
                        Double(figures.bodyBytes) / Double(agents * peers)))
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let json = results[.json].map { median($0.map(\.microsecondsPerSummary)) }
        for format in formats {
            let figures = results[format, default: []]
            let cost = median(figures.map(\.microsecondsPerSummary))
            print(
                String(
                    format: "  median %-8@ %6.1f us of collector CPU per summary (%.2fx JSON's), %7.0f summaries/s, peak RSS %.0f MiB",
                    format.rawValue as NSString, cost, json.map { cost / $0 } ?? .nan, median(figures.map(\.summariesPerSecond)),
                    figures.map(\.peakRSSMiB).max() ?? 0))
        }
    }

    /// One batch per simulated agent, made now so the collector's age rule takes them; each run
    /// uses its own window so that runs never meet the same rows.
    func batches(run: Int) -> [ResultBatch] {
        let now = Int64(Date().timeIntervalSince1970)
        let start = now / 60 * 60 - 60 * Int64(run + 1)
        var random = SplitMix64(seed: UInt64(run))
        return (0..<agents).map { agent in
            let windows = (0..<peers).map { k -> WindowSummary in
                let peer = (agent + 1 + k * 3) % max(agents, peers * 3 + 1)
                var sketch = LatencySketch()
                for _ in 0..<6 { sketch.record(microseconds: 150 + random.next() % 600) }
                return WindowSummary(
                    start: start, seconds: 60, target: "tcp://10.0.\(peer / 256).\(peer % 256):9301", name: String(format: "srv-%05d", peer),
                    kind: .tcp, labels: ["tor": "pod\(peer / 40)", "dc": "dc1"], counts: ResultCounts(ok: 6), rtt: sketch)
            }
            return ResultBatch(
                id: "ingest-\(run)-\(agent)-\(UUID().uuidString.prefix(8))", agent: String(format: "srv-%05d", agent),
                labels: ["tor": "pod\(agent / 40)", "dc": "dc1"], createdAt: now * 1000, windows: windows)
        }
    }

    func measure(format: UploadFormat, bodies: [[UInt8]], http: HTTPClient, run: Int) async throws -> Figures {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-ingest-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try BenchServers.freePort()
        let url = store == "sqlite" ? "sqlite:\(directory)/ingest.db" : store
        let collector = try BenchServers.launch(
            binary, ["collector", "--store", url, "--listen", "127.0.0.1:\(port)", "--log-level", "error"], log: "\(directory)/collector.log")
        defer { collector.terminate() }
        try await BenchServers.waitForHealth(http, "http://127.0.0.1:\(port)/healthz")
        try await Task.sleep(for: .seconds(1))

        let before = BenchServers.usage(of: collector.processIdentifier)
        let began = ContinuousClock.now
        let peak = PeakRSS()
        let sampler = Task {
            while !Task.isCancelled {
                peak.note(BenchServers.usage(of: collector.processIdentifier).rssMiB)
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        let next = NextIndex()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<senders {
                group.addTask {
                    while let index = next.take(below: bodies.count) {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/results")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: format.contentType)
                        request.headers.add(name: "Content-Encoding", value: "gzip")
                        request.body = .bytes(ByteBuffer(bytes: bodies[index]))
                        let response = try await http.execute(request, timeout: .seconds(60))
                        let answer = try await response.body.collect(upTo: 1 << 20)
                        guard response.status == .ok else { throw LoadError("upload: HTTP \(response.status.code): \(String(buffer: answer))") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - began
        let after = BenchServers.usage(of: collector.processIdentifier)
        sampler.cancel()
        peak.note(after.rssMiB)
        let summaries = Double(bodies.count * peers)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Figures(
            microsecondsPerSummary: (after.cpu - before.cpu) / summaries * 1e6, summariesPerSecond: summaries / seconds, peakRSSMiB: peak.value,
            bodyBytes: bodies.reduce(0) { $0 + $1.count })
    }
}

private final class NextIndex: Sendable {
    private let next = Mutex(0)
    func take(below count: Int) -> Int? {
        next.withLock { next in
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
    }
}

private final class PeakRSS: Sendable {
    private let peak = Mutex(0.0)
    func note(_ value: Double) { peak.withLock { $0 = max($0, value) } }
    var value: Double { peak.withLock { $0 } }
}
