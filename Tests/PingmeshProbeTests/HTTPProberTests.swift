import NIOCore
import NIOHTTP1
import NIOPosix
import PingmeshModel
import Testing

@testable import PingmeshProbe

/// HTTP probes against a small real HTTP server on loopback that answers `/ping` as an agent
/// does (`?size=N` bytes), with a status the test chooses, or not at all.
@Suite("HTTP prober")
struct HTTPProberTests {
    final class PingHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let status: HTTPResponseStatus
        let silent: Bool

        init(status: HTTPResponseStatus, silent: Bool) {
            self.status = status
            self.silent = silent
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .head(let head) = unwrapInboundIn(data), !silent else { return }
            let size = head.uri.split(separator: "=").last.flatMap { Int($0) } ?? 4
            var body = context.channel.allocator.buffer(capacity: size)
            body.writeRepeatingByte(UInt8(ascii: "p"), count: head.uri.contains("size=") ? size : 4)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "\(body.readableBytes)")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    static func server(status: HTTPResponseStatus = .ok, silent: Bool = false) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(PingHandler(status: status, silent: silent))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    @Test("a 200 is ok, timed by phase: connect, processing, transfer; the RTT is the whole exchange")
    func ok() async throws {
        let server = try await Self.server()
        defer { server.close(promise: nil) }
        let outcome = await HTTPProber().probe(ProbeRequest(address: server.localAddress!, timeout: .seconds(2), delay: .seconds(1)))
        #expect(outcome.result == .ok, "\(outcome)")
        let phases = try #require(outcome.httpPhases)
        #expect(phases.status == 200 && phases.bodyBytes == 4)
        let (connect, processing, transfer) = (try #require(phases.connect), try #require(phases.processing), try #require(phases.transfer))
        let rtt = try #require(outcome.rtt)
        #expect(connect > .zero && processing > .zero && transfer >= .zero)
        #expect(rtt >= connect + processing && outcome.connectRTT == connect)
        #expect(outcome.sourcePort != nil)
    }

    @Test("the resolve phase is the request's name lookup time, outside the RTT; a literal address has none")
    func resolvePhase() async throws {
        let server = try await Self.server()
        defer { server.close(promise: nil) }
        var request = ProbeRequest(address: server.localAddress!, timeout: .seconds(2), delay: .seconds(1))
        #expect(await HTTPProber().probe(request).httpPhases?.resolve == nil)
        request.resolveTime = .microseconds(1234)
        let outcome = await HTTPProber().probe(request)
        #expect(outcome.result == .ok, "\(outcome)")
        #expect(outcome.httpPhases?.resolve == .microseconds(1234))
        #expect(outcome.httpPhases?.named.first?.phase == "resolve")
    }

    @Test("a payload asks /ping?size=N and reads all N bytes")
    func payload() async throws {
        let server = try await Self.server()
        defer { server.close(promise: nil) }
        let outcome = await HTTPProber().probe(ProbeRequest(address: server.localAddress!, timeout: .seconds(2), delay: .seconds(1), payloadBytes: 20_000))
        #expect(outcome.result == .ok && outcome.httpPhases?.bodyBytes == 20_000, "\(outcome)")
    }

    @Test("a status outside 2xx is an error naming it; a closed port is refused; a silent server is a timeout")
    func failures() async throws {
        let failing = try await Self.server(status: .serviceUnavailable)
        defer { failing.close(promise: nil) }
        let error = await HTTPProber().probe(ProbeRequest(address: failing.localAddress!, timeout: .seconds(2), delay: .seconds(1)))
        #expect(error.result == .error && error.detail == "status 503 not in [200-299]" && error.httpPhases?.status == 503, "\(error)")

        let closed = try await Self.server()
        let address = closed.localAddress!
        try await closed.close()
        #expect(await HTTPProber().probe(ProbeRequest(address: address, timeout: .seconds(2))).result == .refused)

        let silent = try await Self.server(silent: true)
        defer { silent.close(promise: nil) }
        let timeout = await HTTPProber().probe(ProbeRequest(address: silent.localAddress!, timeout: .milliseconds(300)))
        #expect(timeout.result == .timeout && timeout.detail?.contains("no response") == true, "\(timeout)")
        #expect(timeout.httpPhases?.connect != nil, "the handshake was timed before the silence")
    }
}
