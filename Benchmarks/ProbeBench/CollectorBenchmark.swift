import Foundation
import Logging
import PingmeshCollector
import PingmeshModel

/// `pingmesh-bench collector [--agents 1000] [--peers 300] [--minutes 10] [--tors 50]`
///
/// `--minutes 1440` fills one whole UTC day, so the 1 day rows hold all their probes.
///
/// Ingests `minutes` minutes of window summaries from `agents` simulated agents of `peers` peers
/// each (six probes per pair per minute: a 10 s interval) into a fresh SQLite store, then prints:
/// summaries ingested per second; bytes per ok probe of the 1 min server-pair rows; the rollup
/// time of one minute; bytes per probe of what is kept beyond 2 days (10 min rows of ToR pairs and
/// above, 1 h and 1 day rows of every level); the median time of a ToR-pair matrix and a
/// server-pair matrix query.
struct CollectorBenchmark {
    var agents = 1000
    var peers = 300
    var minutes = 10
    var tors = 50
    var path = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-bench-\(UUID().uuidString).db").path
    /// `--postgres URL`: ingest, rollup and matrices on PostgreSQL instead (an empty database).
    var postgres: String?

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            if flag == "--postgres", let url = iterator.next() {
                postgres = url
                continue
            }
            guard let value = iterator.next().flatMap(Int.init) else { fatalError("usage: pingmesh-bench collector [--agents N] [--peers N] [--minutes N] [--tors N]") }
            switch flag {
            case "--agents": agents = value
            case "--peers": peers = value
            case "--minutes": minutes = value
            case "--tors": tors = value
            default: fatalError("unknown option \(flag)")
            }
        }
    }

    func name(_ index: Int) -> String { String(format: "srv-%05d", index) }
    func tor(_ index: Int) -> String { "tor-\(index % tors)" }

    func run() async throws {
        let store: any ResultStore
        if let postgres {
            store = try await StoreFactory.open(.postgres(url: postgres), logger: Logger(label: "bench"))
        } else {
            let sqlite = try SQLiteResultStore(path: path)
            try await sqlite.prepare()
            store = sqlite
        }
        let sqlite = store as? SQLiteResultStore
        let storeName = postgres == nil ? "SQLite" : "PostgreSQL"
        let now = Int64(Date().timeIntervalSince1970)
        // Whole windows of the coarsest resolution the run fills (10 min, 1 h or 1 day), ending
        // before now, so the rollup sees them settled and every row holds all its probes.
        let alignment: Int64 = minutes >= 1440 ? 86_400 : minutes >= 60 ? 3600 : 600
        let first = (now - Int64(minutes) * 60 - 120) / alignment * alignment
        var random = SplitMix64(seed: 7)
        var summaries = 0
        var okProbes: UInt64 = 0
        var ingestSeconds = 0.0
        for minute in 0..<minutes {
            let start = first + Int64(minute) * 60
            var batches: [IngestBatch] = []
            for agent in 0..<agents {
                var windows: [WindowSummary] = []
                windows.reserveCapacity(peers)
                for k in 0..<peers {
                    let peer = (agent + 1 + k * 3) % agents
                    var sketch = LatencySketch()
                    for _ in 0..<6 { sketch.record(microseconds: 150 + random.next() % 600) }
                    windows.append(
                        WindowSummary(
                            start: start, seconds: 60, target: "tcp://\(name(peer)):9301", name: name(peer), kind: .tcp,
                            labels: ["tor": tor(peer), "dc": "dc1"], counts: ResultCounts(ok: 6), rtt: sketch))
                }
                let batch = ResultBatch(
                    id: "b-\(minute)-\(agent)", agent: name(agent), labels: ["tor": tor(agent), "dc": "dc1"], createdAt: now * 1000, windows: windows)
                batches.append(IngestBatch(batch, receivedAt: now * 1000))
                summaries += peers
                okProbes += UInt64(peers * 6)
            }
            let clock = ContinuousClock()
            let began = clock.now
            for batch in batches { _ = try await store.ingest(batch) }
            ingestSeconds += (clock.now - began).seconds
        }
        print(String(format: "collector ingest: %d summaries in %.1f s = %.0f summaries/s (%@, sequential batches of %d)", summaries, ingestSeconds, Double(summaries) / ingestSeconds, storeName, peers))
        if let sqlite {
            let minuteBytes = try await sqlite.pairBytes(resolution: .minute, level: .server)
            print(String(format: "1 min server-pair rows: %.2f bytes per ok probe (%lld bytes for %llu probes)", Double(minuteBytes) / Double(okProbes), minuteBytes, okProbes))
        }

        let engine = RollupEngine(store: store)
        let clock = ContinuousClock()
        let rollupStart = clock.now
        let report = try await engine.runOnce(limitPerResolution: 10_000)
        let rollupSeconds = (clock.now - rollupStart).seconds
        print(String(format: "rollup of %d minutes through 10 min, 1 h and 1 day: %.1f s (%.2f s a minute of data), %d rows written", minutes, rollupSeconds, rollupSeconds / Double(minutes), report.rowsWritten))

        if let sqlite {
            // Beyond 2 days only the 10 min, 1 h and 1 day rows remain; each is kept for its own
            // retention, so per probe they cost their bytes over the probes of their window.
            var beyond = 0.0
            let probesPerMinute = Double(agents * peers * 6)
            for resolution in [Resolution.tenMinutes, .hour, .day] {
                var bytes: Int64 = 0
                for level in TopologyLevel.allCases { bytes += try await sqlite.pairBytes(resolution: resolution, level: level) }
                // Every probe sits in exactly one row per level and resolution.
                let perProbe = Double(bytes) / (probesPerMinute * Double(minutes))
                beyond += perProbe
                print(String(format: "  %@ rows (every level): %.3f bytes per probe", resolution.rawValue, perProbe))
            }
            print(String(format: "kept beyond 2 days: %.3f bytes per probe", beyond))
        }

        let queries = ResultQueries(store: store)
        // BENCH_MATRIX_REPS raises the repetitions, for profiling the queries.
        let repetitions = Int(ProcessInfo.processInfo.environment["BENCH_MATRIX_REPS"] ?? "") ?? 5
        func median(_ body: () async throws -> Void) async rethrows -> Double {
            var times: [Double] = []
            for _ in 0..<repetitions {
                let began = clock.now
                try await body()
                times.append((clock.now - began).seconds)
            }
            return times.sorted()[times.count / 2]
        }
        var cells = 0
        let torMatrix = try await median {
            cells = try await queries.matrix(level: .tor, statistic: .p99, from: first, to: first + 60, resolution: .minute).cells.count
        }
        print(String(format: "ToR matrix (%d cells, one minute, p99, %@): median %.1f ms", cells, storeName, torMatrix * 1000))
        let serverMatrix = try await median {
            cells = try await queries.matrix(level: .server, statistic: .p99, from: first, to: first + 60, resolution: .minute).cells.count
        }
        print(String(format: "server matrix (%d x %d, %d cells, one minute, p99, %@): median %.1f ms", agents, agents, cells, storeName, serverMatrix * 1000))
        let read = try await median { _ = try await store.compactAggregates(level: .server, resolution: .minute, from: first, to: first + 60) }
        print(String(format: "  of which reading the rows from the store: median %.1f ms", read * 1000))
        await (store as? PostgresResultStore)?.shutdown()
        if ProcessInfo.processInfo.environment["BENCH_KEEP_DB"] == nil { try? FileManager.default.removeItem(atPath: path) } else { print("kept \(path)") }
    }
}

extension Duration {
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
