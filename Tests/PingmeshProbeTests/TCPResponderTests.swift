import NIOCore
import NIOPosix
import PingmeshTestSupport
import Testing

@testable import PingmeshProbe

@Suite("TCP responder limits")
struct TCPResponderTests {
    let group = MultiThreadedEventLoopGroup.singleton

    @Test("beyond the connection cap, new connections wait until one closes")
    func connectionCap() async throws {
        let channel = try await TCPResponder(
            host: "127.0.0.1", port: 0, limits: ResponderLimits(maxConnections: 2), group: group
        ).bind()
        defer { channel.close(promise: nil) }
        let port = channel.localAddress!.port!

        var held: [BlockingSocket] = []
        for _ in 0..<2 {
            let client = BlockingSocket()
            try client.connect(host: "127.0.0.1", port: port)
            client.send("a")
            #expect(client.receive(timeout: .seconds(2)) == "a", "a connection within the cap is served")
            held.append(client)
        }
        let third = BlockingSocket()
        try third.connect(host: "127.0.0.1", port: port)
        third.send("b")
        #expect(third.receive(timeout: .milliseconds(300)) == nil, "the third connection is not served while two are open")

        held.removeFirst()  // closes one
        #expect(third.receive(timeout: .seconds(2)) == "b", "served once a slot frees up")
    }

    @Test("an idle connection is closed, so idle sockets cannot hold every slot")
    func idleTimeout() async throws {
        let channel = try await TCPResponder(
            host: "127.0.0.1", port: 0, limits: ResponderLimits(idleTimeout: .milliseconds(200)), group: group
        ).bind()
        defer { channel.close(promise: nil) }
        let client = BlockingSocket()
        try client.connect(host: "127.0.0.1", port: channel.localAddress!.port!)
        #expect(client.receive(timeout: .seconds(3)) == "", "the responder closed the idle connection")
    }

    @Test("a connection sending more than the payload cap is closed")
    func payloadCap() async throws {
        let channel = try await TCPResponder(
            host: "127.0.0.1", port: 0, limits: ResponderLimits(maxPayloadBytes: 8), group: group
        ).bind()
        defer { channel.close(promise: nil) }
        let client = BlockingSocket()
        try client.connect(host: "127.0.0.1", port: channel.localAddress!.port!)
        client.send("0123456789abcdef")
        var received = ""
        while let chunk = client.receive(timeout: .seconds(2)), !chunk.isEmpty { received += chunk }
        #expect(received.count <= 8, "nothing beyond the cap is echoed")
    }
}
