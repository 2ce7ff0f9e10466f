import CompressNIO
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import PingmeshTestSupport
import ServiceLifecycle
import Testing

@testable import PingmeshAgent
@testable import PingmeshModel
@testable import PingmeshProbe

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A real agent probing real responders uploads its windows to a collector on loopback.
@Suite("Result upload", .serialized)
struct ResultUploadTests {
    let group = MultiThreadedEventLoopGroup.singleton

    @Test("an agent with --collector sends valid window summaries and failures; shutdown flushes the open window")
    func agentUploads() async throws {
        var responders: [any Channel] = []
        var targets: [TargetFile] = []
        for index in 0..<3 {
            let host = "127.0.97.\(10 + index)"
            let channel = try await TCPResponder(host: host, port: 0, group: group).bind()
            responders.append(channel)
            targets.append(TargetFile(address: host, port: channel.localAddress!.port!, name: "peer-\(index)"))
        }
        defer { responders.forEach { $0.close(promise: nil) } }
        let closed = try await TCPResponder(host: "127.0.97.99", port: 0, group: group).bind()
        let closedPort = closed.localAddress!.port!
        try await closed.close()
        targets.append(TargetFile(address: "127.0.97.99", port: closedPort, name: "dead-refused"))
        let pinglist = try PinglistFile(
            settings: PinglistSettingsFile(timeout: .seconds(1), delay: .seconds(1)),
            groups: [TargetGroupFile(name: "tor-a", labels: ["dc": "dc1", "tor": "a"], targets: targets)]
        ).validated(file: "test", contentVersion: "v-upload")

        // The collector: gunzips, decodes and reports each batch, answers "stored".
        let (batches, received) = AsyncStream.makeStream(of: ResultBatch.self)
        let router = Router()
        router.post("v1/results") { request, _ -> Response in
            var request = request
            var body = try await request.collectBody(upTo: 16 * 1024 * 1024)
            if request.headers[.contentEncoding] == "gzip" { body = try body.decompress(with: .gzip) }
            received.yield(try JSONDecoder().decode(ResultBatch.self, from: Data(body.readableBytesView)))
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"status":"stored"}"#)))
        }
        let (ports, reportPort) = AsyncStream.makeStream(of: Int.self)
        let collector = Application(
            router: router, configuration: .init(address: .hostname("127.0.97.1", port: 0)),
            onServerRunning: { reportPort.yield($0.localAddress?.port ?? 0) })
        let collectorTask = Task { try await collector.run() }
        defer { collectorTask.cancel() }
        var portIterator = ports.makeAsyncIterator()
        let collectorPort = try #require(await portIterator.next())

        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-upload-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let (ready, signalReady) = AsyncStream.makeStream(of: AgentEndpoints.self)
        let agent = Agent(
            configuration: AgentConfiguration(
                name: "uploader-under-test", labels: ["dc": "dc1"], httpListen: ListenAddress(host: "127.0.97.2", port: 0),
                tcpListen: ListenAddress(host: "127.0.97.2", port: 0), udpListen: ListenAddress(host: "127.0.97.2", port: 0), version: "test",
                collectors: ["http://127.0.97.1:\(collectorPort)"], spoolDirectory: spool),
            source: FixedPinglist(pinglist)
        ) { signalReady.yield($0) }
        let services = ServiceGroup(services: [agent], gracefulShutdownSignals: [], logger: Logger(label: "test"))
        let running = Task { try await services.run() }
        defer { running.cancel() }
        var readiness = ready.makeAsyncIterator()
        let endpoints = try #require(await readiness.next())

        // Every target probed once (the first round spreads over 9 s): bounded wait on /metrics.
        let deadline = ContinuousClock.now + .seconds(30)
        var probed = 0.0
        while ContinuousClock.now < deadline {
            let exposition = try await get("http://\(endpoints.http)/metrics")
            #expect(exposition.contains("pingmesh_upload_spool_batches"), "upload series exist on an uploading agent")
            probed = ["ok", "slow", "refused", "timeout", "error", "unreachable"].compactMap {
                value(of: #"pingmesh_probes_total{kind="tcp",result="\#($0)"}"#, in: exposition)
            }.reduce(0, +)
            if probed >= 4 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(probed >= 4)

        await services.triggerGracefulShutdown()
        try await running.value

        // Whatever was sent during the run, plus what shutdown flushed: every probe is in some window.
        var windows: [WindowSummary] = []
        var failures: [FailureRecord] = []
        var iterator = batches.makeAsyncIterator()
        while windows.reduce(0, { $0 + $1.counts.total }) < UInt64(probed), let batch = await iterator.next() {
            #expect(batch.validationIssues(now: Int64(Date().timeIntervalSince1970)) == [])
            #expect(batch.agent == "uploader-under-test")
            #expect(batch.agentVersion == "test")
            #expect(batch.pinglistVersion == pinglist.version)
            #expect(batch.labels == ["dc": "dc1"])
            windows += batch.windows
            failures += batch.failures
        }
        let byName = Dictionary(grouping: windows, by: \.name)
        #expect(Set(byName.keys) == ["peer-0", "peer-1", "peer-2", "dead-refused"])
        for name in ["peer-0", "peer-1", "peer-2"] {
            let answered = byName[name]!.reduce(0) { $0 + $1.counts.answered }
            #expect(answered >= 1)
            #expect(byName[name]!.allSatisfy { $0.labels == ["dc": "dc1", "tor": "a"] && $0.ports.isEmpty })
        }
        let dead = byName["dead-refused"]!
        #expect(dead.reduce(0) { $0 + $1.counts.refused } >= 1)
        #expect(dead.allSatisfy { !$0.ports.isEmpty }, "failing windows carry their source ports")
        #expect(failures.contains { $0.name == "dead-refused" && $0.result == .refused })
        #expect(
            ((try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []).filter { $0.hasSuffix(".json.gz") }.isEmpty,
            "acknowledged batches leave the spool")
    }

    private func value(of series: String, in exposition: String) -> Double? {
        exposition.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    private func get(_ url: String) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
        return String(decoding: data, as: UTF8.self)
    }
}
