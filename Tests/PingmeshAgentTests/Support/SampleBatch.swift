import Foundation
import PingmeshModel

/// Valid result batches and scratch directories for spool and uploader tests.
enum SampleBatch {
    /// A batch made now (so the collector's age rule takes it) with `windows` summaries.
    static func make(id: String = TestBatchID.next(), windows: Int = 1, createdAt: Date = Date()) -> ResultBatch {
        let start = Int64(createdAt.timeIntervalSince1970) / 60 * 60 - 60
        var rtt = LatencySketch()
        rtt.record(.microseconds(120))
        let summaries = (0..<windows).map { index in
            WindowSummary(
                start: start, seconds: 60, target: "tcp://10.9.\(index / 250).\(index % 250 + 1):9301", name: "peer-\(index)", kind: .tcp,
                labels: ["dc": "dc1"], counts: ResultCounts(ok: 1), rtt: rtt, minRTTNanoseconds: 120_000, maxRTTNanoseconds: 120_000)
        }
        return ResultBatch(
            id: id, agent: "agent-1", agentVersion: "0.2.0", pinglistVersion: "v1", labels: ["dc": "dc1"],
            createdAt: Int64(createdAt.timeIntervalSince1970 * 1000), windows: summaries)
    }

    /// A fresh directory under the temporary directory; the caller removes it.
    static func directory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-spool-test-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func files(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }
}

/// Readable, unique batch ids for tests.
enum TestBatchID {
    static func next() -> String { "batch-" + UUID().uuidString.prefix(8).lowercased() }
}
