import Foundation
import Logging
import Prometheus
import Testing

@testable import PingmeshAgent
@testable import PingmeshModel

@Suite("Result spool")
struct ResultSpoolTests {
    let logger = Logger(label: "test.spool")

    private func spool(_ directory: String?, maximumBytes: Int = 64 * 1024 * 1024, registry: PrometheusCollectorRegistry? = nil)
        -> ResultSpool
    {
        ResultSpool(directory: directory, maximumBytes: maximumBytes, metrics: registry.map { UploadMetrics(registry: $0) }, logger: logger)
    }

    @Test("a batch is one gzip file, read back whole, deleted when removed")
    func appendReadRemove() throws {
        let directory = SampleBatch.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = PrometheusCollectorRegistry()
        let spool = spool(directory, registry: registry)
        try spool.open()
        defer { spool.close() }
        let batch = SampleBatch.make(windows: 3)
        spool.append(batch)
        #expect(SampleBatch.files(in: directory).count == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/.tmp-\(SampleBatch.files(in: directory)[0])"))
        let entry = try #require(spool.oldest)
        #expect(entry.id == batch.id)
        let body = try #require(spool.body(of: entry))
        #expect(Array(body.prefix(2)) == [0x1F, 0x8B], "the file is the gzip request body")
        #expect(try ResultSpool.decode(body) == batch)
        #expect(MetricValue.read("pingmesh_upload_spool_batches", in: registry) == 1)
        #expect(MetricValue.read("pingmesh_upload_spool_bytes", in: registry) == Double(entry.bytes))
        spool.remove(entry)
        #expect(SampleBatch.files(in: directory).isEmpty)
        #expect(spool.count == 0 && spool.bytes == 0)
        #expect(MetricValue.read("pingmesh_upload_spool_batches", in: registry) == 0)
    }

    @Test("pending batches survive a restart, oldest first")
    func survivesRestart() throws {
        let directory = SampleBatch.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = SampleBatch.make(createdAt: Date().addingTimeInterval(-120))
        let second = SampleBatch.make(createdAt: Date().addingTimeInterval(-60))
        let before = spool(directory)
        try before.open()
        before.append(second)
        before.append(first)
        before.close()

        let after = spool(directory)
        try after.open()
        defer { after.close() }
        #expect(after.entries.map(\.id) == [first.id, second.id], "ordered by creation, not by write")
        let oldest = try #require(after.oldest)
        let body = try #require(after.body(of: oldest))
        #expect(try ResultSpool.decode(body) == first)
    }

    @Test("over the byte cap the oldest batches are deleted and counted")
    func capDropsOldest() throws {
        let directory = SampleBatch.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let size = try ResultSpool.encode(SampleBatch.make(windows: 50)).count
        let registry = PrometheusCollectorRegistry()
        // Room for three batches of this size, not four.
        let spool = spool(directory, maximumBytes: size * 3 + size / 2, registry: registry)
        try spool.open()
        defer { spool.close() }
        let batches = (0..<5).map { SampleBatch.make(windows: 50, createdAt: Date().addingTimeInterval(Double($0))) }
        for batch in batches { spool.append(batch) }
        #expect(spool.entries.map(\.id) == batches.suffix(3).map(\.id))
        #expect(spool.bytes <= spool.maximumBytes)
        #expect(SampleBatch.files(in: directory).count == 3)
        #expect(MetricValue.read("pingmesh_upload_dropped_batches_total", in: registry) == 2)
    }

    @Test("the cap holds at start too: a smaller cap drops the oldest spooled batches")
    func capAtStart() throws {
        let directory = SampleBatch.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = spool(directory)
        try writer.open()
        let batches = (0..<4).map { SampleBatch.make(windows: 50, createdAt: Date().addingTimeInterval(Double($0))) }
        for batch in batches { writer.append(batch) }
        let size = writer.entries[0].bytes
        writer.close()
        let registry = PrometheusCollectorRegistry()
        let reader = spool(directory, maximumBytes: size * 2 + size / 2, registry: registry)
        try reader.open()
        defer { reader.close() }
        #expect(reader.entries.map(\.id) == batches.suffix(2).map(\.id))
        #expect(MetricValue.read("pingmesh_upload_dropped_batches_total", in: registry) == 2)
    }

    @Test("corrupt files are logged, counted and removed, never a crash; other files are left alone")
    func corruptFiles() throws {
        let directory = SampleBatch.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = SampleBatch.make()
        let writer = spool(directory)
        try writer.open()
        writer.append(good)
        writer.close()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        // Not gzip at all: removed at start.
        try Data("not a batch".utf8).write(
            to: URL(fileURLWithPath: "\(directory)/\(ResultSpool.name(createdAt: now - 5000, sequence: 0, id: "garbage1"))"))
        // Empty: removed at start.
        try Data().write(to: URL(fileURLWithPath: "\(directory)/\(ResultSpool.name(createdAt: now - 4000, sequence: 0, id: "empty001"))"))
        // A gzip header and then rubbish: found when read back for sending.
        let truncated = Array(try ResultSpool.encode(SampleBatch.make()).prefix(20))
        let truncatedName = ResultSpool.name(createdAt: now - 3000, sequence: 0, id: "truncated")
        try Data(truncated).write(to: URL(fileURLWithPath: "\(directory)/\(truncatedName)"))
        // Left over from an interrupted write: removed, not counted.
        try Data("partial".utf8).write(to: URL(fileURLWithPath: "\(directory)/.tmp-0000000000001-000000-x.json.gz"))
        // Not the spool's: untouched.
        try Data("notes".utf8).write(to: URL(fileURLWithPath: "\(directory)/README.txt"))

        let registry = PrometheusCollectorRegistry()
        let reader = spool(directory, registry: registry)
        try reader.open()
        defer { reader.close() }
        #expect(MetricValue.read("pingmesh_upload_spool_corrupt_files_total", in: registry) == 2)
        #expect(reader.entries.map(\.id) == ["truncated", good.id])
        let first = try #require(reader.oldest)
        #expect(reader.body(of: first) == nil)
        #expect(MetricValue.read("pingmesh_upload_spool_corrupt_files_total", in: registry) == 3)
        #expect(reader.entries.map(\.id) == [good.id])
        let remaining = try #require(reader.oldest)
        #expect(try ResultSpool.decode(try #require(reader.body(of: remaining))) == good)
        #expect(Set(SampleBatch.files(in: directory)) == ["README.txt", reader.entries[0].name])
    }

    @Test("a file whose content is another batch than its name says is corrupt")
    func mismatchedID() throws {
        let directory = SampleBatch.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let name = ResultSpool.name(createdAt: Int64(Date().timeIntervalSince1970 * 1000), sequence: 0, id: "claimed-id")
        try Data(try ResultSpool.encode(SampleBatch.make(id: "other-id-1"))).write(to: URL(fileURLWithPath: "\(directory)/\(name)"))
        let spool = spool(directory)
        try spool.open()
        defer { spool.close() }
        let entry = try #require(spool.oldest)
        #expect(spool.body(of: entry) == nil)
        #expect(spool.count == 0)
    }

    @Test("two agents cannot share a spool directory")
    func lock() throws {
        let directory = SampleBatch.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = spool(directory)
        try first.open()
        let second = spool(directory)
        #expect(throws: ResultSpool.SpoolError.self) { try second.open() }
        first.close()
        try second.open()
        second.close()
    }

    @Test("batches older than the collector accepts are dropped and counted")
    func expired() throws {
        let registry = PrometheusCollectorRegistry()
        let spool = spool(nil, registry: registry)
        try spool.open()
        let old = SampleBatch.make(createdAt: Date().addingTimeInterval(-3 * 86_400))
        let fresh = SampleBatch.make()
        spool.append(old)
        spool.append(fresh)
        #expect(spool.dropCreated(before: Date().addingTimeInterval(-2 * 86_400)) == 1)
        #expect(spool.entries.map(\.id) == [fresh.id])
        #expect(MetricValue.read("pingmesh_upload_dropped_batches_total", in: registry) == 1)
    }

    @Test("without a directory the spool keeps batches in memory, under the same cap")
    func memoryOnly() throws {
        let size = try ResultSpool.encode(SampleBatch.make(windows: 20)).count
        let spool = spool(nil, maximumBytes: size * 2 + size / 2)
        try spool.open()
        let batches = (0..<3).map { SampleBatch.make(windows: 20, createdAt: Date().addingTimeInterval(Double($0))) }
        for batch in batches { spool.append(batch) }
        #expect(spool.entries.map(\.id) == batches.suffix(2).map(\.id))
        let oldest = try #require(spool.oldest)
        #expect(try ResultSpool.decode(try #require(spool.body(of: oldest))) == batches[1])
    }
}
