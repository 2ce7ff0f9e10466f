import Foundation
import NIOCore
import NIOPosix
import PingmeshCollector
import PingmeshModel
import PingmeshProbe
import PingmeshTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The loss-free proof: a real agent process probes real responders and uploads to a real
/// collector process that is killed with SIGKILL, restarted, stopped with SIGTERM and restarted
/// again under load. Afterwards every probe the agent made is in the store exactly once.
@Suite("Loss-free upload", .serialized)
struct LossFreeUploadTests {
    let group = MultiThreadedEventLoopGroup.singleton

    /// A port free on `host` now (bound and released).
    func freePort(_ host: String) async throws -> Int {
        let channel = try await ServerBootstrap(group: group).bind(host: host, port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }

    func get(_ url: String) async -> String? {
        guard let (data, _) = try? await URLSession.shared.data(from: URL(string: url)!) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Sum of every sample of `metric` in a Prometheus exposition.
    func sum(_ metric: String, in text: String) -> Double {
        text.split(separator: "\n").filter { $0.hasPrefix(metric + "{") || $0.hasPrefix(metric + " ") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    func eventually(_ timeout: Duration, _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return await condition()
    }

    func launch(_ binary: String, _ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    @Test(
        "collector SIGKILLed, restarted, SIGTERMed and restarted under agent load: every probe counted exactly once",
        .requires(.pingmeshBinary))
    func everyProbeOnce() async throws {
        let binary = try PingmeshBinary.require()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-lossfree-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)

        var responders: [any Channel] = []
        var targets: [String] = []
        for index in 0..<40 {
            let host = "127.0.98.\(10 + index)"
            let channel = try await TCPResponder(host: host, port: 0, group: group).bind()
            responders.append(channel)
            targets.append("      - {address: \(host), port: \(channel.localAddress!.port!), name: peer-\(index)}")
        }
        defer { responders.forEach { $0.close(promise: nil) } }
        let pinglist = "\(directory)/pinglist.yaml"
        try """
            settings: {interval: 10s, timeout: 1s, delay: 1s}
            groups:
              - name: peers
                labels: {dc: dc1, tor: t2}
                targets:
            \(targets.joined(separator: "\n"))
            """.write(toFile: pinglist, atomically: true, encoding: .utf8)

        let collectorPort = try await freePort("127.0.98.1")
        let agentPort = try await freePort("127.0.98.2")
        let collectorURL = "http://127.0.98.1:\(collectorPort)"
        let store = "\(directory)/results.db"
        let collectorArguments = ["collector", "--store", "sqlite:\(store)", "--listen", "127.0.98.1:\(collectorPort)", "--rollup-interval", "1"]
        var collector = try launch(binary, collectorArguments, log: "\(directory)/collector.log")
        let agent = try launch(
            binary,
            [
                "agent", "--pinglist", pinglist, "--name", "lossfree-agent", "--labels", "dc=dc1,tor=t1", "--listen", "127.0.98.2:\(agentPort)",
                "--tcp-listen", "127.0.98.2:0", "--collector", collectorURL, "--window", "10", "--spool-dir", "\(directory)/spool",
            ], log: "\(directory)/agent.log")
        defer {
            if agent.isRunning { agent.terminate() }
            if collector.isRunning { collector.terminate() }
        }
        let agentMetrics = "http://127.0.98.2:\(agentPort)/metrics"
        let collectorMetrics = "\(collectorURL)/metrics"
        func stored() async -> Double {
            guard let text = await get(collectorMetrics) else { return -1 }
            return sum("pingmesh_collector_batches_total", in: text.split(separator: "\n").filter { $0.contains("stored") }.joined(separator: "\n"))
        }

        func waiting() async -> Double {
            guard let text = await get(agentMetrics) else { return -1 }
            return sum("pingmesh_upload_spool_batches", in: text)
        }
        // The outage lasts until the agent holds a batch it could not deliver: that is the
        // moment a collector restart has something to lose.
        func outageHoldsABatch() async -> Bool {
            await eventually(.seconds(40)) { await waiting() >= 1 }
        }

        // 1. Batches flow.
        #expect(await eventually(.seconds(40)) { await stored() >= 1 }, "the collector stored a first batch")
        // 2. SIGKILL: no chance to finish anything in flight; the agent spools and retries.
        kill(collector.processIdentifier, SIGKILL)
        await collector.exited()
        #expect(await outageHoldsABatch(), "the agent spooled a batch while the collector was dead")
        collector = try launch(binary, collectorArguments, log: "\(directory)/collector.log")
        #expect(await eventually(.seconds(40)) { await stored() >= 1 }, "the restarted collector takes the spooled batches")
        // 3. SIGTERM: a graceful stop, then a restart.
        collector.terminate()
        await collector.exited()
        #expect(await outageHoldsABatch(), "the agent spooled a batch while the collector was stopped")
        collector = try launch(binary, collectorArguments, log: "\(directory)/collector.log")
        #expect(await eventually(.seconds(40)) { await stored() >= 1 })

        // 4. Stop probing (an empty pinglist), let the last windows close and drain.
        try "groups: []\n".write(toFile: pinglist, atomically: true, encoding: .utf8)
        var probes = -1.0
        var stableSince = ContinuousClock.now
        let settled = await eventually(.seconds(60)) {
            guard let text = await get(agentMetrics) else { return false }
            let now = sum("pingmesh_probes_total", in: text)
            if now != probes {
                probes = now
                stableSince = .now
            }
            let spooled = sum("pingmesh_upload_spool_batches", in: text)
            return ContinuousClock.now - stableSince > .seconds(13) && spooled == 0
        }
        #expect(settled, "the agent stopped probing and emptied its spool")
        #expect(probes > 100, "enough load to mean something: \(probes) probes")

        // 5. Exactly once: the store's counts equal the agent's probes.
        let reader = try SQLiteResultStore(path: store)
        var counted: UInt64 = 0
        let matched = await eventually(.seconds(20)) {
            let rows = (try? await reader.aggregates(level: .server, resolution: .minute, from: 0, to: Int64(Date().timeIntervalSince1970) + 3600)) ?? []
            counted = rows.reduce(0) { $0 + $1.counts.total }
            return Double(counted) == probes
        }
        #expect(matched, "store holds \(counted) probes, the agent made \(Int(probes))")
        if !matched {
            print(String(decoding: FileManager.default.contents(atPath: "\(directory)/agent.log") ?? Data(), as: UTF8.self).suffix(3000))
        }
    }
}
