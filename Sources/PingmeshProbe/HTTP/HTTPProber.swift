import NIOCore
import NIOHTTP1
import NIOPosix
import PingmeshModel

/// HTTP probes: a GET of a Pingmesh agent's `/ping` (with `?size=N` for a payload of N bytes)
/// over a fresh connection each time, so the handshake is measured like a TCP probe's, timed by
/// phase (`HTTPPhases`). The RTT is the whole exchange, connect to the last byte.
public struct HTTPProber: Prober {
    public let kind = ProbeKind.http
    private let group: any EventLoopGroup

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    public func probe(_ request: ProbeRequest) async -> ProbeOutcome {
        (try? await start(request).get()) ?? ProbeOutcome(result: .error, detail: "probe future failed")
    }

    /// The path asked for: the agents' `/ping`, sized by the payload.
    static func path(for request: ProbeRequest) -> String { request.payloadBytes > 0 ? "/ping?size=\(request.payloadBytes)" : "/ping" }

    func start(_ request: ProbeRequest) -> EventLoopFuture<ProbeOutcome> {
        let loop = group.next()
        let promise = loop.makePromise(of: ProbeOutcome.self)
        let host = request.address.ipAddress.map { request.address.protocol == .inet6 ? "[\($0)]" : $0 } ?? "localhost"
        let hostHeader = "\(host):\(request.address.port ?? 80)"
        ProbeConnection.open(request, on: loop, promise: promise) { pipeline in
            try pipeline.addHTTPClientHandlers()
            try pipeline.addHandler(HTTPProbeHandler(request: request, path: Self.path(for: request), host: hostHeader, promise: promise))
        }
        return promise.futureResult
    }
}
