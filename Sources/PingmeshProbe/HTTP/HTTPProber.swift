import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PingmeshModel

/// HTTP(S) probes over a fresh connection each time, so the handshakes are measured like a TCP
/// probe's, timed by phase (`HTTPPhases`). Without options a probe is a GET of a Pingmesh
/// agent's `/ping` (`?size=N` for a payload of N bytes); with them, the request, TLS and
/// validation a blackbox_exporter operator would configure. The RTT is the whole exchange,
/// connect to the last byte.
public struct HTTPProber: Prober {
    public let kind = ProbeKind.http
    private let group: any EventLoopGroup

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    public func probe(_ request: ProbeRequest) async -> ProbeOutcome {
        (try? await start(request).get()) ?? ProbeOutcome(result: .error, detail: "probe future failed")
    }

    func start(_ request: ProbeRequest) -> EventLoopFuture<ProbeOutcome> {
        let loop = group.next()
        let promise = loop.makePromise(of: ProbeOutcome.self)
        let plan = HTTPRequestPlan(request)
        var tls: (context: NIOSSLContext, serverName: String?)?
        if let options = request.http?.tls {
            do {
                tls = (try HTTPTLSContextCache.shared.context(for: options), options.serverName ?? request.http?.hostName)
            } catch {
                promise.succeed(ProbeOutcome(result: .error, detail: "\(error)"))
                return promise.futureResult
            }
        }
        ProbeConnection.open(request, on: loop, promise: promise) { [tls] pipeline in
            if let tls {
                // With no name the certificate is checked against the address connected to (an
                // IP SAN); SNI cannot carry an address, so none is sent then.
                try pipeline.addHandler(NIOSSLClientHandler(context: tls.context, serverHostname: tls.serverName))
            }
            try pipeline.addHTTPClientHandlers()
            try pipeline.addHandler(
                HTTPProbeHandler(request: request, plan: plan, tlsExpectedName: tls?.serverName, promise: promise))
        }
        return promise.futureResult
    }
}
