import Foundation
import PingmeshModel
import Testing

@Suite("Result batch validation")
struct ResultBatchValidationTests {
    @Test("a well-formed batch has no issues and survives JSON both ways")
    func valid() throws {
        let batch = BatchFactory.batch(agent: "a1", windows: [BatchFactory.summary(to: "b1", start: BatchFactory.minute(1), rtts: [100, 200])])
        #expect(batch.validationIssues(now: BatchFactory.now).isEmpty)
        let decoded = try ConfigDocument.decode(ResultBatch.self, from: try JSONEncoder().encode(batch), file: "body")
        #expect(decoded == batch)
    }

    static let breakages: [(path: String, name: String)] = [
        ("id", "short id"), ("agent", "empty agent"), ("windows[0].seconds", "odd window"), ("windows[0].start", "unaligned start"),
        ("windows[0].start", "too old"), ("windows[0].start", "future"), ("windows[0].rtt", "sketch count"), ("windows[0].counts", "no probes"),
        ("windows[0].ports[0].failed", "port failed above sent"), ("windows[0].labels.1bad", "bad label"), ("windows[1]", "twice"),
        ("failures[0].result", "ok failure"), ("failures[0].at", "seconds for ms"),
    ]

    static func breakIt(_ name: String, _ b: inout ResultBatch) {
        switch name {
        case "short id": b.id = "x"
        case "empty agent": b.agent = ""
        case "odd window": b.windows[0].seconds = 7
        case "unaligned start": b.windows[0].start += 1
        case "too old": b.windows[0].start = BatchFactory.minute(60 * 24 * 3)
        case "future": b.windows[0].start = BatchFactory.minute(-60)
        case "sketch count": b.windows[0].counts.ok += 1
        case "no probes":
            b.windows[0].counts = ResultCounts()
            b.windows[0].rtt = LatencySketch()
        case "port failed above sent": b.windows[0].ports = [PortCounts(port: 40000, sent: 1, failed: 2)]
        case "bad label": b.windows[0].labels["1bad"] = "x"
        case "twice": b.windows.append(b.windows[0])
        case "ok failure": b.failures = [FailureRecord(at: BatchFactory.now * 1000, target: "t", name: "b1", kind: .tcp, result: .ok)]
        case "seconds for ms": b.failures = [FailureRecord(at: BatchFactory.now, target: "t", name: "b1", kind: .tcp, result: .timeout)]
        default: Issue.record("unknown breakage \(name)")
        }
    }

    @Test("every bad field is named", arguments: ResultBatchValidationTests.breakages.map(\.name))
    func invalid(name: String) {
        let path = Self.breakages.first { $0.name == name }!.path
        var batch = BatchFactory.batch(agent: "a1", windows: [BatchFactory.summary(to: "b1", start: BatchFactory.minute(1), rtts: [100, 200])])
        Self.breakIt(name, &batch)
        let issues = batch.validationIssues(now: BatchFactory.now)
        #expect(issues.contains { $0.path == path }, "\(name): \(issues)")
    }

    @Test("strict decoding: unknown fields, wrong types and a bad sketch name their path")
    func strictDecoding() throws {
        let good = try JSONEncoder().encode(
            BatchFactory.batch(agent: "a1", windows: [BatchFactory.summary(to: "b1", start: BatchFactory.minute(1), rtts: [100])]))
        var object = try JSONSerialization.jsonObject(with: good) as! [String: Any]
        object["surprise"] = 1
        #expect(throws: ConfigError.self) {
            try ConfigDocument.decode(ResultBatch.self, from: try JSONSerialization.data(withJSONObject: object), file: "body")
        }
        object.removeValue(forKey: "surprise")
        var windows = object["windows"] as! [[String: Any]]
        windows[0]["rtt"] = "!!"
        object["windows"] = windows
        do {
            _ = try ConfigDocument.decode(ResultBatch.self, from: try JSONSerialization.data(withJSONObject: object), file: "body")
            Issue.record("a bad sketch decoded")
        } catch let error as ConfigError {
            #expect(error.description.contains("windows[0].rtt"), "\(error)")
        }
        object["version"] = 2
        #expect(throws: ConfigError.self) {
            try ConfigDocument.decode(ResultBatch.self, from: try JSONSerialization.data(withJSONObject: object), file: "body")
        }
    }
}
