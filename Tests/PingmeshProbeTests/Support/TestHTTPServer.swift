import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A small HTTP(S) server on 127.0.0.1 with the routes the HTTP prober's tests need:
/// `/ok` ("hello pingmesh"), `/status/N` (that status), `/error-page` (200 saying "internal
/// error"), `/echo` (the method, the X-Probe header and the request body, for HEAD only the
/// head), `/big` (2 MiB) and `/silent` (never answers).
enum TestHTTPServer {
    static let bigBodyBytes = 2 << 20
    static let bigChunkBytes = 16 * 1024

    /// Serves HTTPS with `certificate` and `key` (PEM files) when given, plain HTTP otherwise.
    static func start(certificate: String? = nil, key: String? = nil) async throws -> any Channel {
        var tls: NIOSSLContext?
        if let certificate, let key {
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            tls = try NIOSSLContext(configuration: configuration)
        }
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [tls] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RouteHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// A TCP listener that accepts and then says nothing: a TLS handshake to it never ends.
    static func silent() async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
    }

    final class RouteHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private var head: HTTPRequestHead?
        private var body = ByteBuffer()

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body.clear()
            case .body(var chunk):
                body.writeBuffer(&chunk)
            case .end:
                guard let head else { return }
                respond(to: head, context: context)
            }
        }

        private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
            let path = head.uri
            if path == "/silent" { return }
            if path == "/big" {
                writeHead(.ok, length: TestHTTPServer.bigBodyBytes, context: context)
                let chunk = ByteBuffer(repeating: UInt8(ascii: "b"), count: TestHTTPServer.bigChunkBytes)
                for _ in 0..<(TestHTTPServer.bigBodyBytes / TestHTTPServer.bigChunkBytes) {
                    context.write(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
                }
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                return
            }
            var status = HTTPResponseStatus.ok
            var text = "hello pingmesh"
            if path.hasPrefix("/status/"), let code = Int(path.dropFirst("/status/".count)) {
                status = HTTPResponseStatus(statusCode: code)
                text = "status \(code)"
            } else if path == "/error-page" {
                text = "internal error: the database is down"
            } else if path == "/echo" {
                let probeHeader = head.headers.first(name: "X-Probe") ?? "-"
                text = "\(head.method.rawValue) \(probeHeader) \(String(buffer: body))"
            } else if path != "/ok" {
                status = .notFound
                text = "no route \(path)"
            }
            writeHead(status, length: text.utf8.count, context: context)
            if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil) }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }

        private func writeHead(_ status: HTTPResponseStatus, length: Int, context: ChannelHandlerContext) {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "\(length)")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // A prober that rejects the certificate hangs up mid-handshake; that is the test.
            context.close(promise: nil)
        }
    }
}
