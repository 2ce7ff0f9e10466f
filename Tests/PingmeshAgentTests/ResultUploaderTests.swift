import Foundation
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import Synchronization
import Testing

@testable import PingmeshAgent
@testable import PingmeshModel
@testable import PingmeshProbe
import PingmeshWire

/// The uploader against a real HTTP server on loopback: acknowledgement, retry, refusal,
/// failover, restart, shutdown.
@Suite("Result uploader")
struct ResultUploaderTests {
    /// An uploader with fast backoff, its metrics and a stream of its attempts.
    struct Harness {
        let uploader: ResultUploader
        let registry: PrometheusCollectorRegistry
        let attempts: AsyncStream<ResultUploader.Attempt>

        func metric(_ series: String) -> Double? { MetricValue.read(series, in: registry) }

        /// Runs the delivery loop until `count` attempts have been made, then stops it.
        func deliver(attempts count: Int) async -> [ResultUploader.Attempt] {
            let task = Task { await uploader.deliver() }
            var seen: [ResultUploader.Attempt] = []
            for await attempt in attempts {
                seen.append(attempt)
                if seen.count == count { break }
            }
            task.cancel()
            await task.value
            return seen
        }
    }

    static func harness(
        collectors: [String], directory: String?, token: String? = nil, shutdownSendTimeout: Duration = .seconds(2),
        preferredFormat: UploadFormat = .protobuf, now: @escaping @Sendable () -> Date = { Date() }
    ) -> Harness {
        let registry = PrometheusCollectorRegistry()
        let metrics = UploadMetrics(registry: registry)
        let logger = Logger(label: "test.upload")
        let (attempts, report) = AsyncStream.makeStream(of: ResultUploader.Attempt.self)
        let uploader = ResultUploader(
            configuration: .init(
                collectors: collectors, token: token, requestTimeout: .seconds(5), initialBackoff: .milliseconds(20),
                maximumBackoff: .milliseconds(100), shutdownSendTimeout: shutdownSendTimeout, preferredFormat: preferredFormat),
            aggregator: WindowAggregator(configuration: .init(agent: "agent-1", windowSeconds: 10), metrics: metrics),
            spool: ResultSpool(directory: directory, metrics: metrics, logger: logger), metrics: metrics, logger: logger, now: now,
            onAttempt: { report.yield($0) })
        return Harness(uploader: uploader, registry: registry, attempts: attempts)
    }

    @Test("an acknowledged batch is sent gzip-compressed with its headers, decodes on the server, and leaves the spool")
    func acknowledged() async throws {
        let collector = TestCollector()
        let (url, server) = try await collector.start()
        defer { server.cancel() }
        let directory = SampleBatch.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let harness = Self.harness(collectors: [url + "/"], directory: directory, token: "s3cret")
        try harness.uploader.start()
        let batch = SampleBatch.make(windows: 5)
        harness.uploader.enqueue(batch)
        #expect(SampleBatch.files(in: directory).count == 1)

        let attempts = await harness.deliver(attempts: 1)
        #expect(attempts.map(\.outcome) == [.stored])
        var requests = collector.requests.makeAsyncIterator()
        let received = try #require(await requests.next())
        #expect(received.contentEncoding == "gzip")
        #expect(received.contentType == "application/json")
        #expect(received.authorization == "Bearer s3cret")
        #expect(received.decodeError == nil)
        #expect(received.batch == batch)
        #expect(received.batch?.validationIssues(now: Int64(Date().timeIntervalSince1970)) == [])
        #expect(harness.uploader.spool.count == 0)
        #expect(SampleBatch.files(in: directory).isEmpty, "acknowledged batches are deleted")
        #expect(harness.metric(#"pingmesh_upload_batches_total{result="stored"}"#) == 1)
        #expect((harness.metric("pingmesh_upload_last_success_timestamp_seconds") ?? 0) > Date().timeIntervalSince1970 - 60)
        #expect(harness.metric("pingmesh_upload_spool_batches") == 0)
        await harness.uploader.finish()
    }

    @Test("503s are retried with backoff, with the same batch id, until acknowledged: nothing lost")
    func retriesUntilAcknowledged() async throws {
        let collector = TestCollector(script: [503, 503, 503])
        let (url, server) = try await collector.start()
        defer { server.cancel() }
        let harness = Self.harness(collectors: [url], directory: nil)
        try harness.uploader.start()
        let batch = SampleBatch.make()
        harness.uploader.enqueue(batch)

        let attempts = await harness.deliver(attempts: 4)
        #expect(attempts.map(\.outcome) == [.failed, .failed, .failed, .stored])
        #expect(attempts.map(\.status) == [503, 503, 503, 200])
        var ids: [String?] = []
        var requests = collector.requests.makeAsyncIterator()
        for _ in 0..<4 { ids.append(await requests.next()?.batch?.id) }
        #expect(ids == Array(repeating: batch.id, count: 4), "every retry carries the same id")
        #expect(harness.uploader.spool.count == 0)
        #expect(harness.metric(#"pingmesh_upload_batches_total{result="failed"}"#) == 3)
        #expect(harness.metric(#"pingmesh_upload_batches_total{result="stored"}"#) == 1)
        #expect(harness.metric("pingmesh_upload_rejected_batches_total") == 0)
    }

    @Test("408 and 429 are retried like a 5xx", arguments: [408, 429])
    func retriableClientErrors(status: Int) async throws {
        let collector = TestCollector(script: [status])
        let (url, server) = try await collector.start()
        defer { server.cancel() }
        let harness = Self.harness(collectors: [url], directory: nil)
        try harness.uploader.start()
        harness.uploader.enqueue(SampleBatch.make())
        let attempts = await harness.deliver(attempts: 2)
        #expect(attempts.map(\.outcome) == [.failed, .stored])
    }

    @Test("a 400 refuses the batch for good: dropped, counted, not retried; the next batch still goes")
    func rejected() async throws {
        let collector = TestCollector(script: [400])
        let (url, server) = try await collector.start()
        defer { server.cancel() }
        let directory = SampleBatch.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let harness = Self.harness(collectors: [url], directory: directory)
        try harness.uploader.start()
        let refused = SampleBatch.make(createdAt: Date().addingTimeInterval(-1))
        let next = SampleBatch.make()
        harness.uploader.enqueue(refused)
        harness.uploader.enqueue(next)

        let attempts = await harness.deliver(attempts: 2)
        #expect(attempts.map(\.outcome) == [.rejected, .stored])
        #expect(attempts.map(\.batch) == [refused.id, next.id], "oldest first; the refused batch is not tried again")
        #expect(harness.metric("pingmesh_upload_rejected_batches_total") == 1)
        #expect(harness.metric(#"pingmesh_upload_batches_total{result="rejected"}"#) == 1)
        #expect(harness.uploader.spool.count == 0)
        #expect(SampleBatch.files(in: directory).isEmpty)
        await harness.uploader.finish()
    }

    @Test("a collector that is down fails over to the next; the one that answered is tried first after that")
    func failover() async throws {
        let collector = TestCollector()
        let (url, server) = try await collector.start()
        defer { server.cancel() }
        let dead = try await TestCollector.deadURL()
        let harness = Self.harness(collectors: [dead, url], directory: nil)
        try harness.uploader.start()
        harness.uploader.enqueue(SampleBatch.make(createdAt: Date().addingTimeInterval(-1)))
        harness.uploader.enqueue(SampleBatch.make())

        let attempts = await harness.deliver(attempts: 3)
        #expect(attempts.map(\.collector) == [dead, url, url])
        #expect(attempts.map(\.outcome) == [.failed, .stored, .stored])
        #expect(attempts[0].status == nil, "no answer from a closed port")
        #expect(harness.uploader.spool.count == 0)
    }

    @Test("a batch the collector already has is acknowledged as a duplicate")
    func duplicate() async throws {
        let collector = TestCollector()
        let (url, server) = try await collector.start()
        defer { server.cancel() }
        let harness = Self.harness(collectors: [url], directory: nil)
        try harness.uploader.start()
        let batch = SampleBatch.make()
        harness.uploader.enqueue(batch)
        harness.uploader.enqueue(batch)
        let attempts = await harness.deliver(attempts: 2)
        #expect(attempts.map(\.outcome) == [.stored, .duplicate])
        #expect(harness.metric(#"pingmesh_upload_batches_total{result="duplicate"}"#) == 1)
    }

    @Test("what one uploader spooled, a new uploader on the same directory sends after a restart")
    func survivesRestart() async throws {
        let directory = SampleBatch.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let dead = try await TestCollector.deadURL()
        let batch = SampleBatch.make(windows: 3)

        let before = Self.harness(collectors: [dead], directory: directory, shutdownSendTimeout: .zero)
        try before.uploader.start()
        before.uploader.enqueue(batch)
        let failed = await before.deliver(attempts: 1)
        #expect(failed.map(\.outcome) == [.failed])
        await before.uploader.finish()
        #expect(SampleBatch.files(in: directory).count == 1, "the unacknowledged batch stays on disk")

        let collector = TestCollector()
        let (url, server) = try await collector.start()
        defer { server.cancel() }
        let after = Self.harness(collectors: [url], directory: directory)
        try after.uploader.start()
        #expect(after.metric("pingmesh_upload_spool_batches") == 1)
        let attempts = await after.deliver(attempts: 1)
        #expect(attempts.map(\.outcome) == [.stored])
        var requests = collector.requests.makeAsyncIterator()
        #expect(await requests.next()?.batch == batch)
        #expect(SampleBatch.files(in: directory).isEmpty)
        await after.uploader.finish()
    }

    @Test("graceful shutdown flushes the open windows to the spool, so a restart loses nothing")
    func shutdownFlushesOpenWindows() async throws {
        let directory = SampleBatch.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let dead = try await TestCollector.deadURL()
        let harness = Self.harness(collectors: [dead], directory: directory)
        let peer = WindowAggregatorTests.target("10.0.3.1")
        harness.uploader.aggregator.record(WindowAggregatorTests.ok(150), for: peer, sentAt: Date())
        harness.uploader.aggregator.record(ProbeOutcome(result: .timeout, sourcePort: 45000), for: peer, sentAt: Date())

        let group = ServiceGroup(configuration: .init(services: [harness.uploader], logger: Logger(label: "test.upload")))
        let running = Task { try await group.run() }
        await group.triggerGracefulShutdown()
        try await running.value

        #expect(harness.uploader.aggregator.openWindows == 0)
        let spool = ResultSpool(directory: directory, logger: Logger(label: "test.spool"))
        try spool.open()
        defer { spool.close() }
        let entry = try #require(spool.oldest)
        let batch = try ResultSpool.decode(try #require(spool.body(of: entry)))
        #expect(batch.windows.map(\.target) == [peer.id])
        #expect(batch.windows.first?.counts == ResultCounts(ok: 1, timeout: 1))
        #expect(batch.failures.map(\.result) == [.timeout])
        #expect(batch.validationIssues(now: Int64(Date().timeIntervalSince1970)) == [])
    }

    @Test("graceful shutdown sends what is spooled when a collector answers")
    func shutdownSends() async throws {
        let collector = TestCollector()
        let (url, server) = try await collector.start()
        defer { server.cancel() }
        let harness = Self.harness(collectors: [url], directory: nil)
        harness.uploader.aggregator.record(WindowAggregatorTests.ok(150), for: WindowAggregatorTests.target("10.0.3.2"), sentAt: Date())
        try harness.uploader.start()
        await harness.uploader.finish()
        var requests = collector.requests.makeAsyncIterator()
        #expect(await requests.next()?.batch?.windows.count == 1)
        #expect(harness.uploader.spool.count == 0)
    }

    @Test("closed windows are flushed at the window end plus the longest timeout and a margin, then sent")
    func scheduledFlush() async throws {
        let collector = TestCollector()
        let (url, server) = try await collector.start()
        defer { server.cancel() }
        let windowStart = (Date().timeIntervalSince1970 / 10).rounded(.down) * 10 - 10
        let clock = Mutex(Date(timeIntervalSince1970: windowStart + 5))
        let harness = Self.harness(collectors: [url], directory: nil, now: { clock.withLock { $0 } })
        let uploader = harness.uploader
        try uploader.start()
        uploader.aggregator.pinglistLoaded(version: "v7", longestTimeout: .seconds(2))
        #expect(uploader.flushGrace == .seconds(3))
        #expect(uploader.nextFlushTime(after: Date(timeIntervalSince1970: windowStart + 5)).timeIntervalSince1970 == windowStart + 13)
        #expect(uploader.nextFlushTime(after: Date(timeIntervalSince1970: windowStart + 12)).timeIntervalSince1970 == windowStart + 13)
        #expect(uploader.nextFlushTime(after: Date(timeIntervalSince1970: windowStart + 13)).timeIntervalSince1970 == windowStart + 23)

        let peer = WindowAggregatorTests.target("10.0.3.3")
        uploader.aggregator.record(WindowAggregatorTests.ok(150), for: peer, sentAt: Date(timeIntervalSince1970: windowStart + 5))
        // Sent in the next window: stays open.
        uploader.aggregator.record(WindowAggregatorTests.ok(150), for: peer, sentAt: Date(timeIntervalSince1970: windowStart + 10.5))
        // Whether the loop first sees 12.9 s (nothing due yet) or 13 s, the closed window goes at 13 s.
        clock.withLock { $0 = Date(timeIntervalSince1970: windowStart + 12.9) }
        let task = Task { await uploader.deliver() }
        clock.withLock { $0 = Date(timeIntervalSince1970: windowStart + 13) }
        uploader.wake.signal()
        var attempts = harness.attempts.makeAsyncIterator()
        #expect(await attempts.next()?.outcome == .stored)
        task.cancel()
        await task.value

        var requests = collector.requests.makeAsyncIterator()
        let batch = try #require(await requests.next()?.batch)
        #expect(batch.windows.map(\.start) == [Int64(windowStart)])
        #expect(batch.pinglistVersion == "v7")
        #expect(uploader.aggregator.openWindows == 1, "the window still open was not flushed")
    }

    @Test("backoff doubles from the initial delay up to the cap, with jitter in the upper half")
    func backoff() {
        var backoff = UploadBackoff(initial: .seconds(1), maximum: .seconds(60))
        var delays: [Duration] = []
        for _ in 0..<10 { delays.append(backoff.next()) }
        #expect(delays[0] == .seconds(1))
        for (index, delay) in delays.enumerated() {
            let ceiling = min(Duration.seconds(60), .seconds(1) * (1 << index))
            #expect(delay <= ceiling && delay >= max(.seconds(1), ceiling / 2), "\(index): \(delay)")
        }
        backoff.reset()
        #expect(backoff.next() == .seconds(1))
    }

    @Test("a wake signal given before the wait is not lost; a wait without one times out")
    func wakeSignal() async {
        let signal = WakeSignal()
        signal.signal()
        let clock = ContinuousClock()
        let started = clock.now
        await signal.wait(timeout: .seconds(30))
        // Far below the 30 s a lost signal would cost, with room for a loaded CI machine.
        #expect(started.duration(to: clock.now) < .seconds(15))
        await signal.wait(timeout: .milliseconds(20))
        #expect(started.duration(to: clock.now) >= .milliseconds(20))
    }
}
