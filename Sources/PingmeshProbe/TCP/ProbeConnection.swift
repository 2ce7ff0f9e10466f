import NIOCore
import NIOPosix

/// The connection every NIO-based connect probe opens (TCP, HTTP): a fresh socket on one of the
/// group's event loops, Nagle off, the probe's timeout on the connect, its DSCP and source
/// address, and SO_LINGER 0 so the close after the probe sends an RST and leaves no TIME_WAIT.
/// `handlers` adds the probe's own handlers; a connect that fails before reaching them
/// completes `promise` with its classified error.
enum ProbeConnection {
    static func open(
        _ request: ProbeRequest, on loop: any EventLoop, promise: EventLoopPromise<ProbeOutcome>,
        handlers: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void
    ) {
        var bootstrap = ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.nanoseconds(request.timeout.nanoseconds))
            .channelInitializer { channel in
                do {
                    try handlers(channel.pipeline.syncOperations)
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
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
        // A connect that fails never reaches the handlers; completing twice is a no-op in NIO.
        bootstrap.connect(to: request.address).whenFailure { error in
            promise.succeed(ProbeOutcome(result: ErrorClassification.classify(error), detail: "\(error)"))
        }
    }
}
