import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PingmeshCollector
import PingmeshModel
import PingmeshWire
import Testing

/// `POST /v1/results` with a protobuf body: stored exactly as the same batch in JSON is, and
/// every answer lists the formats the collector reads.
@Suite("Collector: protobuf uploads")
struct ProtobufUploadTests {
    static let acceptPost = HTTPField.Name("Accept-Post")!

    static func protobuf(_ batch: ResultBatch, gzip: Bool = true) throws -> ByteBuffer {
        var plain = ByteBuffer(bytes: try batch.protobufEncoded())
        return gzip ? try plain.compress(with: .gzip()) : plain
    }

    static let headers: HTTPFields = [.contentType: "application/x-protobuf", .contentEncoding: "gzip"]

    @Test("a protobuf batch is stored as its JSON twin is: same rows; a retry in the other format is a duplicate")
    func storedLikeJSON() async throws {
        let windows = [
            BatchFactory.summary(to: "b1", start: BatchFactory.minute(1), rtts: [100, 120, 900], tor: "t1"),
            BatchFactory.summary(to: "b2", start: BatchFactory.minute(1), rtts: [80], timeouts: 2, tor: "t2"),
        ]
        let failure = FailureRecord(
            at: BatchFactory.minute(1) * 1000 + 500, target: "tcp://b2:9301", name: "b2", kind: .tcp, result: .timeout, sourcePort: 20001,
            detail: "no answer")
        let viaJSON = try await TemporaryStore.sqlite()
        let viaProtobuf = try await TemporaryStore.sqlite()
        let batch = BatchFactory.batch(
            id: "proto-batch-1", agent: "a1", labels: ["dc": "dc1", "podset": "ps1", "pod": "t0", "tor": "t0"], windows: windows,
            failures: [failure, failure])
        try await CollectorAPITests.app(store: viaJSON).test(.router) { client in
            try await client.execute(uri: "/v1/results", method: .post, body: try CollectorAPITests.body(batch)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[Self.acceptPost] == "application/json, application/x-protobuf")
            }
        }
        try await CollectorAPITests.app(store: viaProtobuf).test(.router) { client in
            try await client.execute(uri: "/v1/results", method: .post, headers: Self.headers, body: try Self.protobuf(batch)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"stored\""))
                #expect(response.headers[Self.acceptPost] == UploadFormat.acceptPost)
            }
            try await client.execute(uri: "/v1/results", method: .post, body: try CollectorAPITests.body(batch)) { response in
                #expect(String(buffer: response.body).contains("\"duplicate\""), "the batch id, not the format, identifies it")
            }
        }
        let json = try await viaJSON.aggregates(level: .server, resolution: .minute, from: 0, to: Int64.max / 2)
        let binary = try await viaProtobuf.aggregates(level: .server, resolution: .minute, from: 0, to: Int64.max / 2)
        #expect(json.count == 2)
        #expect(binary == json)
        let failures = FailureQuery(source: "a1", destination: nil, from: 0, to: Int64.max / 2, limit: 100)
        let stored = try await viaProtobuf.failures(failures)
        #expect(stored.count == 2)
        #expect(stored == (try await viaJSON.failures(failures)))
    }

    @Test("a bad protobuf body is a 400 naming the field; an unknown Content-Type is a 415 listing what is read")
    func refusals() async throws {
        let store = try await TemporaryStore.sqlite()
        var badSeconds = BatchFactory.batch(agent: "a1", windows: [BatchFactory.summary(to: "b1", start: BatchFactory.minute(1), rtts: [100])])
        badSeconds.windows[0].seconds = 7
        let badBody = try Self.protobuf(badSeconds)
        try await CollectorAPITests.app(store: store).test(.router) { client in
            try await client.execute(uri: "/v1/results", method: .post, headers: Self.headers, body: badBody) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("windows[0].seconds"), "\(String(buffer: response.body))")
                #expect(response.headers[Self.acceptPost] == UploadFormat.acceptPost)
            }
            var message = Pingmesh_Results_V1_ResultBatch()
            message.version = 1
            var window = Pingmesh_Results_V1_WindowSummary()
            window.kind = "sctp"
            message.windows = [window]
            let bytes: [UInt8] = try message.serializedBytes()
            try await client.execute(
                uri: "/v1/results", method: .post, headers: [.contentType: "application/x-protobuf"], body: ByteBuffer(bytes: bytes)
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("windows[0].kind: 'sctp' is not one of"), "\(String(buffer: response.body))")
            }
            try await client.execute(
                uri: "/v1/results", method: .post, headers: [.contentType: "application/x-protobuf"], body: ByteBuffer(string: "{\"version\":1}")
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("not a pingmesh.results.v1.ResultBatch"))
            }
            try await client.execute(
                uri: "/v1/results", method: .post, headers: [.contentType: "text/csv"], body: ByteBuffer(string: "a,b")
            ) { response in
                #expect(response.status == .unsupportedMediaType)
                #expect(String(buffer: response.body).contains("Content-Type: 'text"))
                #expect(response.headers[Self.acceptPost] == UploadFormat.acceptPost)
            }
        }
        #expect(try await store.aggregates(level: .server, resolution: .minute, from: 0, to: Int64.max / 2).isEmpty)
    }
}
