import Foundation
import PingmeshModel
import SwiftProtobuf
import Testing

@testable import PingmeshWire

/// The protobuf upload body: it carries everything the JSON body does, and a bad one is refused
/// naming the field by the JSON body's path.
@Suite("Protobuf result batches")
struct ProtobufBatchTests {
    static func batch(windows: Int = 6) -> ResultBatch {
        var rtt = LatencySketch()
        for micros in [90, 120, 130, 4_000] { rtt.record(.microseconds(micros)) }
        let summaries = (0..<windows).map { index in
            WindowSummary(
                start: 1_765_000_000 / 60 * 60, seconds: 60, target: "tcp://10.0.\(index).1:9301", name: "peer-\(index)",
                kind: index % 2 == 0 ? .tcp : .icmp, labels: ["dc": "dc1", "tor": "tor\(index % 2)"],
                counts: ResultCounts(
                    ok: 3, slow: 1, timeout: 2, unresolved: 1, retransmitted: 1, synRetransmits: 2, jitterPairs: 3, jitterNanoseconds: 5_000),
                rtt: rtt, minRTTNanoseconds: 90_000, maxRTTNanoseconds: 4_000_000,
                ports: index == 0 ? [PortCounts(port: 20001, sent: 4, failed: 2), PortCounts(port: 20002, sent: 4, failed: 0)] : [])
        }
        return ResultBatch(
            id: "batch-0001", agent: "agent-1", agentVersion: "1.2.3", pinglistVersion: nil, labels: ["dc": "dc1", "pod": "p1"],
            createdAt: 1_765_000_000_123, windows: summaries + [WindowSummary(start: 1_765_000_000 / 60 * 60, seconds: 60, target: "udp://h:1", name: "h", kind: .udp, counts: ResultCounts(timeout: 1))],
            failures: [
                FailureRecord(at: 1_765_000_000_500, target: "tcp://10.0.0.1:9301", name: "peer-0", kind: .tcp, result: .timeout, sourcePort: 20001, detail: "no answer in 2 s"),
                FailureRecord(at: 1_765_000_000_600, target: "tcp://10.0.0.1:9301", name: "peer-0", kind: .tcp, result: .slow, rttNanoseconds: 1_020_000_000),
            ])
    }

    @Test("every field survives encoding and decoding, absent optionals included")
    func roundTrip() throws {
        let batch = Self.batch()
        let decoded = try ResultBatch(protobuf: try batch.protobufEncoded())
        #expect(decoded == batch)
        #expect(decoded.pinglistVersion == nil)
        #expect(decoded.windows.last?.labels == [:])
        #expect(decoded.windows.last?.minRTTNanoseconds == nil)
        #expect(decoded.failures[0].rttNanoseconds == nil)
    }

    @Test("each target label set is sent once and named by index; the body is a fraction of the JSON one")
    func labelSetsShared() throws {
        let batch = Self.batch(windows: 200)
        let bytes = try batch.protobufEncoded()
        let message = try Pingmesh_Results_V1_ResultBatch(serializedBytes: bytes)
        #expect(message.labelSets.count == 2)
        #expect(message.windows.prefix(4).map(\.labelSet) == [1, 2, 1, 2])
        #expect(message.windows.last?.labelSet == 0, "a window without labels refers to no set")
        let json = try JSONEncoder().encode(batch)
        #expect(bytes.count * 3 < json.count, "protobuf \(bytes.count) bytes against JSON \(json.count)")
    }

    static func refusal(_ edit: (inout Pingmesh_Results_V1_ResultBatch) -> Void) throws -> WireDecodingError? {
        var message = try Pingmesh_Results_V1_ResultBatch(serializedBytes: try batch().protobufEncoded())
        edit(&message)
        let bytes: [UInt8] = try message.serializedBytes()
        do {
            _ = try ResultBatch(protobuf: bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test("a bad field is refused by its JSON path and the reason")
    func refusals() throws {
        #expect(try Self.refusal { $0.version = 0 }?.description == "version: is missing (this collector reads 1)")
        #expect(try Self.refusal { $0.version = 2 }?.path == "version")
        #expect(try Self.refusal { $0.windows[1].kind = "sctp" }?.description == "windows[1].kind: 'sctp' is not one of tcp, http, udp, icmp, dns, ntp")
        #expect(try Self.refusal { $0.windows[2].counts.jitterPairs = 9 }?.path == "windows[2].counts.jitter_pairs")
        #expect(try Self.refusal { $0.windows[0].counts.synRetransmits = 0 }?.path == "windows[0].counts.syn_retransmits")
        #expect(try Self.refusal { $0.windows[3].counts.jitterPairs = 0 }?.path == "windows[3].counts.jitter_sum_ns")
        #expect(try Self.refusal { $0.windows[0].labelSet = 7 }?.description == "windows[0].label_set: is 7 but the batch has 2 label_sets")
        #expect(try Self.refusal { $0.windows[0].labels = ["x": "y"] }?.path == "windows[0].label_set")
        #expect(try Self.refusal { $0.windows[4].rtt = Data([0x00, 0x00, 0x01]) }?.path == "windows[4].rtt")
        #expect(try Self.refusal { $0.failures[1].result = "lost" }?.path == "failures[1].result")
        #expect(try Self.refusal { $0.failures[0].kind = "" }?.path == "failures[0].kind")
    }

    @Test("bytes that are not a batch message are refused, not trusted")
    func garbage() {
        #expect(throws: WireDecodingError.self) { try ResultBatch(protobuf: [0x0A, 0xFF, 0xFF, 0xFF, 0x0F]) }
        #expect(throws: WireDecodingError.self) { try ResultBatch(protobuf: Array("{\"version\":1}".utf8)) }
    }

    @Test("media types and Accept-Post lists map to formats; anything else is no format")
    func mediaTypes() {
        #expect(UploadFormat(contentType: "application/json; charset=utf-8") == .json)
        #expect(UploadFormat(contentType: "Application/X-Protobuf") == .protobuf)
        #expect(UploadFormat(contentType: "application/protobuf") == .protobuf)
        #expect(UploadFormat(contentType: "text/plain") == nil)
        #expect(UploadFormat.offered(in: UploadFormat.acceptPost) == [.json, .protobuf])
        #expect(UploadFormat.offered(in: "application/json") == [.json])
        #expect(UploadFormat.offered(in: "") == [])
    }
}
