import NIOCore
import NIOHTTP1
import PingmeshModel

/// The request one HTTP probe sends, worked out before the connection opens so the handler only
/// writes it: the target's options, or an agent's `GET /ping` when it has none.
struct HTTPRequestPlan: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?

    init(_ request: ProbeRequest) {
        let options = request.http ?? HTTPProbeOptions()
        var head = HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: options.method), uri: options.requestPath(payloadBytes: request.payloadBytes))
        // The operator's Host wins; otherwise the name the target was written with, as a browser
        // sends it, so virtual hosts answer as they would for a user.
        let given = Set(options.headers.keys.map { $0.lowercased() })
        if !given.contains("host") { head.headers.add(name: "Host", value: Self.host(request: request, options: options)) }
        if !given.contains("user-agent") { head.headers.add(name: "User-Agent", value: "pingmesh") }
        for (name, value) in options.headers.sorted(by: { $0.key < $1.key }) {
            head.headers.add(name: name, value: value)
        }
        head.headers.add(name: "Connection", value: "close")
        if let text = options.body {
            head.headers.add(name: "Content-Length", value: "\(text.utf8.count)")
            body = ByteBuffer(string: text)
        }
        self.head = head
    }

    /// `name[:port]`, the port left out when it is the scheme's default.
    static func host(request: ProbeRequest, options: HTTPProbeOptions) -> String {
        let port = request.address.port ?? (options.tls == nil ? 80 : 443)
        let name: String
        if let hostName = options.hostName {
            name = hostName
        } else if let ip = request.address.ipAddress {
            name = request.address.protocol == .inet6 ? "[\(ip)]" : ip
        } else {
            name = "localhost"
        }
        let defaultPort = options.tls == nil ? 80 : 443
        return port == defaultPort ? name : "\(name):\(port)"
    }
}
