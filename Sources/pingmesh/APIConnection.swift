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

    @Option(help: "An admin bearer token, for admin operations and when the collector requires tokens.")
    var token: String?

    @Option(help: "A file holding that token (default: pingmesh up's ./pingmesh-data/admin-token, when it exists).")
    var tokenFile: String?

    mutating func validate() throws { token = try AdminAccess.resolve(token: token, file: tokenFile) }

    @OptionGroup var tls: ClientTLSOptions

    var api: APIConnection { APIConnection(service: "collector", url: collector, token: token, tls: tls) }

    func send(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> (status: Int, body: String) {
        try await api.send(method, path, body: body)
    }

    func check(_ response: (status: Int, body: String)) throws -> String { try api.check(response) }
}

/// A controller as the command-line tools reach it (`pingmesh task`).
struct ControllerConnection: ParsableArguments {
    @Option(help: "The controller's URL (default: pingmesh up's).")
    var controller: String = "http://127.0.0.1:\(DefaultPorts.controller)"

    @Option(help: "An admin bearer token, for admin operations and when the controller requires tokens.")
    var token: String?

    @Option(help: "A file holding that token (default: pingmesh up's ./pingmesh-data/admin-token, when it exists).")
    var tokenFile: String?

    mutating func validate() throws { token = try AdminAccess.resolve(token: token, file: tokenFile) }

    @OptionGroup var tls: ClientTLSOptions

    var api: APIConnection { APIConnection(service: "controller", url: controller, token: token, tls: tls) }
}

/// One Pingmesh server's API, reached with an optional bearer token.
struct APIConnection {
    var service: String
    var url: String
    var token: String?
    /// The fleet CA and a client certificate for HTTPS servers; none: the system's trust store.
    var tls = ClientTLSOptions()

    func send(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        // A client of its own only for TLS settings; a one-shot tool can afford the handshake.
        let configured = try tls.configuration()
        let client = configured.map { HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: $0)) }
        defer { if let client { Task { try? await client.shutdown() } } }
        do {
            // A refused connection is retried until the deadline, so it is short: these are local tools.
            let response = try await (client ?? .shared).execute(request, timeout: .seconds(5))
            let text = String(buffer: try await response.body.collect(upTo: 256 << 20))
            return (Int(response.status.code), text)
        } catch {
            throw CommandError("cannot reach the \(service) at \(url): \(error)")
        }
    }

    /// The response body on success; otherwise the server's message, and a failing exit.
    func check(_ response: (status: Int, body: String)) throws -> String {
        guard (200..<300).contains(response.status) else { throw CommandError("\(service) answered \(response.status): \(response.body)") }
        return response.body
    }
}

/// A tool's failure: the message is printed and the exit status is 1.
struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
