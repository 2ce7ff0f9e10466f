import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import PingmeshModel
import PingmeshWire
import Synchronization

/// A stand-in collector on loopback: `POST /v1/results` gunzips and decodes the batch, answers
/// with the next status of its script (then 200), acknowledges a batch id it already stored as
/// a duplicate, and reports every request on `requests`. While `offersProtobuf` is set it reads
/// protobuf bodies and says so in `Accept-Post`, as a current collector does; otherwise it reads
/// only JSON, as an older one does.
final class TestCollector: Sendable {
    struct Received: Sendable {
        var batch: ResultBatch?
        var decodeError: String?
        var contentType: String?
        var contentEncoding: String?
        var authorization: String?
        var status: Int
    }

    private struct State {
        var script: [Int]
        var stored: Set<String> = []
        var offersProtobuf: Bool
    }

    private let state: Mutex<State>
    let requests: AsyncStream<Received>
    private let record: AsyncStream<Received>.Continuation

    init(script: [Int] = [], offersProtobuf: Bool = false) {
        state = Mutex(State(script: script, offersProtobuf: offersProtobuf))
        (requests, record) = AsyncStream.makeStream(of: Received.self)
    }

    /// Whether it reads protobuf uploads from now on (an upgrade, or a downgrade when false).
    var offersProtobuf: Bool {
        get { state.withLock { $0.offersProtobuf } }
        set { state.withLock { $0.offersProtobuf = newValue } }
    }

    /// Starts the server on `host`, port 0; returns its base URL and the task running it
    /// (cancel it to stop the server).
    func start(host: String = "127.0.0.1") async throws -> (url: String, server: Task<Void, any Error>) {
        let router = Router()
        router.post("v1/results") { request, _ -> Response in
            var request = request
            var body = try await request.collectBody(upTo: 64 * 1024 * 1024)
            var received = Received(
                contentType: request.headers[.contentType], contentEncoding: request.headers[.contentEncoding],
                authorization: request.headers[.authorization], status: 200)
            do {
                if received.contentEncoding == "gzip" { body = try body.decompress(with: .gzip) }
                if self.offersProtobuf, received.contentType.flatMap(UploadFormat.init(contentType:)) == .protobuf {
                    received.batch = try ResultBatch(protobuf: body.readableBytesView)
                } else {
                    received.batch = try JSONDecoder().decode(ResultBatch.self, from: Data(body.readableBytesView))
                }
            } catch {
                received.decodeError = "\(error)"
            }
            let id = received.batch?.id
            let (status, duplicate) = self.state.withLock { state -> (Int, Bool) in
                let status = state.script.isEmpty ? (received.batch == nil ? 400 : 200) : state.script.removeFirst()
                guard (200..<300).contains(status), let id else { return (status, false) }
                return (status, !state.stored.insert(id).inserted)
            }
            received.status = status
            self.record.yield(received)
            let answer: String
            switch status {
            case 200..<300: answer = #"{"status":"\#(duplicate ? "duplicate" : "stored")"}"#
            case 400: answer = #"{"error":"windows[0].start: is more than 2 days old"}"#
            default: answer = #"{"error":"try again later"}"#
            }
            var headers: HTTPFields = [.contentType: "application/json"]
            if self.offersProtobuf { headers[HTTPField.Name("Accept-Post")!] = UploadFormat.acceptPost }
            return Response(
                status: .init(code: status), headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(string: answer)))
        }
        let (ports, reportPort) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: 0)),
            onServerRunning: { channel in
                reportPort.yield(channel.localAddress?.port ?? 0)
                reportPort.finish()
            })
        let server = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return ("http://\(host):\(port)", server)
    }

    /// A base URL where nothing listens: a port bound and closed again on an address of its own.
    static func deadURL(host: String = "127.0.93.1") async throws -> String {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: host, port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return "http://\(host):\(port)"
    }
}
