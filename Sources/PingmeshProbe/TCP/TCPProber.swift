import NIOCore
import NIOPosix
import PingmeshModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// TCP connect probe (Pingmesh's TCP ping): SYN/SYN-ACK round trip to a resolved address, a new
/// connection and source port for every probe, closed with an RST; optionally an echoed payload
/// to catch size-dependent drops.
public struct TCPProber: Prober {
    public let kind = ProbeKind.tcp
    private let group: any EventLoopGroup

    public init(group: any EventLoopGroup) {
        self.group = group
    }

    public func probe(_ request: ProbeRequest) async -> ProbeOutcome {
        // The future never fails; the catch is for the type system.
        (try? await start(request).get()) ?? ProbeOutcome(result: .error, detail: "probe future failed")
    }

    /// Starts a probe on one of the group's event loops; the future always succeeds.
    public func start(_ request: ProbeRequest) -> EventLoopFuture<ProbeOutcome> {
        let loop = group.next()
        let promise = loop.makePromise(of: ProbeOutcome.self)
        var bootstrap = ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.nanoseconds(request.timeout.nanoseconds))
            .channelInitializer { channel in
                do {
                    try channel.pipeline.syncOperations.addHandler(TCPProbeHandler(request: request, promise: promise))
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
                // SO_LINGER 0: the close after the probe sends an RST, so probes leave no TIME_WAIT.
                guard let options = channel as? any SocketOptionProvider else { return channel.eventLoop.makeSucceededVoidFuture() }
                return options.setSoLinger(linger(l_onoff: 1, l_linger: 0))
            }
        if let dscp = request.dscp {
            bootstrap = bootstrap.channelOption(DSCPOption.option(for: request.address), value: DSCPOption.value(dscp))
        }
        if let source = request.sourceAddress {
            // A fixed source port (ECMP rotation) may be bound by another probe in flight.
            if let port = source.port, port != 0 { bootstrap = bootstrap.channelOption(.socketOption(.so_reuseaddr), value: 1) }
            bootstrap = bootstrap.bind(to: source)
        }
        let connected = bootstrap.connect(to: request.address)
        // A connect that fails never reaches the handler; completing twice is a no-op in NIO.
        connected.whenFailure { error in
            promise.succeed(
                ProbeOutcome(result: ErrorClassification.classify(error), detail: "\(error)")
            )
        }
        return promise.futureResult
    }
}
