import Foundation
import PingmeshModel
import PingmeshWire
import Testing

@testable import PingmeshAgent

/// Which body the uploader sends: JSON to collectors that list nothing else in `Accept-Post`,
/// protobuf to those that list it, and JSON again to one that stops listing it.
@Suite("Upload format negotiation")
struct UploadFormatNegotiationTests {
    @Test("JSON until the collector offers protobuf; then batches are spooled and sent as protobuf, and decode to the same batch")
    func switchesWhenOffered() async throws {
        let collector = TestCollector(offersProtobuf: true)
        let (url, server) = try await collector.start()
        defer { server.cancel() }
        let directory = SampleBatch.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let harness = ResultUploaderTests.harness(collectors: [url], directory: directory)
        try harness.uploader.start()
        var requests = collector.requests.makeAsyncIterator()

        let first = SampleBatch.make(windows: 3)
        harness.uploader.enqueue(first)
        #expect(SampleBatch.files(in: directory).allSatisfy { $0.hasSuffix(".json.gz") }, "nothing is known of the collector yet")
        #expect(await harness.deliver(attempts: 1).map(\.outcome) == [.stored])
        let json = try #require(await requests.next())
        #expect(json.contentType == "application/json")
        #expect(json.batch == first)

        let second = SampleBatch.make(windows: 3)
        harness.uploader.enqueue(second)
        #expect(SampleBatch.files(in: directory).count == 1)
        #expect(SampleBatch.files(in: directory).allSatisfy { $0.hasSuffix(".pb.gz") }, "spooled in the format the collector offered")
        #expect(await harness.deliver(attempts: 1).map(\.outcome) == [.stored])
        let binary = try #require(await requests.next())
        #expect(binary.contentType == "application/x-protobuf")
        #expect(binary.contentEncoding == "gzip")
        #expect(binary.decodeError == nil)
        #expect(binary.batch == second)
        #expect(SampleBatch.files(in: directory).isEmpty)
        await harness.uploader.finish()
    }

    @Test("a collector that stops offering protobuf gets the spooled protobuf batch as JSON on the next attempt: refused once, never dropped")
    func downgradedCollector() async throws {
        let collector = TestCollector(offersProtobuf: true)
        let (url, server) = try await collector.start()
        defer { server.cancel() }
        let harness = ResultUploaderTests.harness(collectors: [url], directory: nil)
        try harness.uploader.start()
        var requests = collector.requests.makeAsyncIterator()
        harness.uploader.enqueue(SampleBatch.make())
        _ = await harness.deliver(attempts: 1)
        _ = await requests.next()

        let batch = SampleBatch.make(windows: 2)
        harness.uploader.enqueue(batch)
        #expect(harness.uploader.spool.oldest?.format == .protobuf)
        collector.offersProtobuf = false
        let attempts = await harness.deliver(attempts: 2)
        #expect(attempts.map(\.outcome) == [.failed, .stored])
        #expect(attempts.map(\.status) == [400, 200])
        let refused = try #require(await requests.next())
        #expect(refused.contentType == "application/x-protobuf")
        let resent = try #require(await requests.next())
        #expect(resent.contentType == "application/json")
        #expect(resent.batch == batch, "re-encoded from the spooled protobuf body without loss")
        #expect(harness.uploader.spool.count == 0)
        #expect(harness.metric("pingmesh_upload_rejected_batches_total") == 0)
        #expect(harness.uploader.spoolFormat == .json)
    }

    @Test("with two collectors, a protobuf batch that fails over to the one that does not offer it goes there as JSON")
    func mixedCollectors() async throws {
        let current = TestCollector(script: [200, 503], offersProtobuf: true)
        let older = TestCollector(offersProtobuf: false)
        let (currentURL, currentServer) = try await current.start()
        let (olderURL, olderServer) = try await older.start()
        defer {
            currentServer.cancel()
            olderServer.cancel()
        }
        let harness = ResultUploaderTests.harness(collectors: [currentURL, olderURL], directory: nil)
        try harness.uploader.start()
        harness.uploader.enqueue(SampleBatch.make())
        _ = await harness.deliver(attempts: 1)
        let batch = SampleBatch.make(windows: 4)
        harness.uploader.enqueue(batch)
        #expect(harness.uploader.spool.oldest?.format == .protobuf)
        var requests = older.requests.makeAsyncIterator()
        let attempts = await harness.deliver(attempts: 2)
        #expect(attempts.map(\.collector) == [currentURL, olderURL])
        #expect(attempts.map(\.outcome) == [.failed, .stored])
        let received = try #require(await requests.next())
        #expect(received.contentType == "application/json")
        #expect(received.batch == batch)
    }

    @Test("--upload-format json: JSON even to a collector that offers protobuf")
    func jsonOnly() async throws {
        let collector = TestCollector(offersProtobuf: true)
        let (url, server) = try await collector.start()
        defer { server.cancel() }
        let harness = ResultUploaderTests.harness(collectors: [url], directory: nil, preferredFormat: .json)
        try harness.uploader.start()
        var requests = collector.requests.makeAsyncIterator()
        for _ in 0..<2 { harness.uploader.enqueue(SampleBatch.make()) }
        #expect(await harness.deliver(attempts: 2).map(\.outcome) == [.stored, .stored])
        #expect(await requests.next()?.contentType == "application/json")
        #expect(await requests.next()?.contentType == "application/json")
    }
}
