import Foundation
import Hummingbird
import NIOCore
import PingmeshModel
import Synchronization

/// A stand-in release server and controller on loopback: `GET /binary` serves `binary`, other
/// paths 404; `POST /v1/agent-upgrade/{agent}` records the agent's failure report.
final class TestReleaseServer: Sendable {
    let binary: [UInt8]
    private let recorded = Mutex<[(agent: String, report: UpgradeFailureReport)]>([])

    init(binary: [UInt8]) {
        self.binary = binary
    }

    var reports: [(agent: String, report: UpgradeFailureReport)] { recorded.withLock { $0 } }

    /// Starts on `host`, port 0; returns the base URL and the task running the server (cancel it to stop).
    func start(host: String = "127.0.0.1") async throws -> (url: String, server: Task<Void, any Error>) {
        let router = Router()
        let binary = self.binary
        router.get("binary") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/octet-stream"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: binary)))
        }
        router.post("v1/agent-upgrade/:agent") { request, context -> Response in
            let agent = try context.parameters.require("agent")
            var request = request
            let body = try await request.collectBody(upTo: 64 * 1024)
            let report = try JSONDecoder().decode(UpgradeFailureReport.self, from: Data(buffer: body))
            self.recorded.withLock { $0.append((agent, report)) }
            return Response(status: .noContent)
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
}
