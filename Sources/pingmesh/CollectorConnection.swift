import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PingmeshModel

/// A collector as the command-line tools reach it (`pingmesh fault`, `pingmesh agents`).
struct CollectorConnection: ParsableArguments {
    @Option(help: "The collector's URL (default: pingmesh up's).")
    var collector: String = "http://127.0.0.1:\(DefaultPorts.collector)"

    @Option(help: "An admin bearer token, when the collector requires tokens.")
    var token: String?

    func send(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: collector.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        do {
            // A refused connection is retried until the deadline, so it is short: these are local tools.
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            let text = String(buffer: try await response.body.collect(upTo: 256 << 20))
            return (Int(response.status.code), text)
        } catch {
            throw CommandError("cannot reach the collector at \(collector): \(error)")
        }
    }

    /// The response body on success; otherwise the collector's message, and a failing exit.
    func check(_ response: (status: Int, body: String)) throws -> String {
        guard (200..<300).contains(response.status) else { throw CommandError("collector answered \(response.status): \(response.body)") }
        return response.body
    }
}

/// A tool's failure: the message is printed and the exit status is 1.
struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
