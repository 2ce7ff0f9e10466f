import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// Hummingbird's TLS child channel, but each new connection takes the context current at that
/// moment from a `ServerTLSContext`, so a renewed certificate needs no restart.
public struct ReloadingTLSChannel<BaseChannel: ServerChildChannel>: ServerChildChannel {
    public typealias Value = BaseChannel.Value
    let baseChannel: BaseChannel
    let tls: ServerTLSContext

    public init(_ baseChannel: BaseChannel, tls: ServerTLSContext) {
        self.baseChannel = baseChannel
        self.tls = tls
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.current))
        }.flatMap {
            baseChannel.setup(channel: channel, logger: logger)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await baseChannel.handle(value: value, logger: logger)
    }
}

extension ReloadingTLSChannel: HTTPChannelHandler where BaseChannel: HTTPChannelHandler {
    public var responder: HTTPChannelHandler.Responder { baseChannel.responder }
}

extension HTTPServerBuilder {
    /// HTTP/1.1, over TLS when `tls` is given.
    public static func http1(tls: ServerTLSContext?, configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
        guard let tls else { return .http1(configuration: configuration) }
        return HTTPServerBuilder { responder in
            ReloadingTLSChannel(HTTP1Channel(responder: responder, configuration: configuration), tls: tls)
        }
    }
}
