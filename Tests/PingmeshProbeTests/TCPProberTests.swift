import NIOCore
import NIOPosix
import PingmeshTestSupport
import Testing

@testable import PingmeshModel
@testable import PingmeshProbe

/// The two TCP probers, held to the same tests.
enum TCPEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case nio
    case epoll

    var testDescription: String { rawValue }

    func make() throws -> any Prober {
        switch self {
        case .nio: return TCPProber(group: MultiThreadedEventLoopGroup.singleton)
        case .epoll: return try EpollTCPProber()
        }
    }

    static func release(_ prober: any Prober) {
        (prober as? EpollTCPProber)?.shutdown()
    }
}

@Suite("TCP prober")
struct TCPProberTests {
    let group = MultiThreadedEventLoopGroup.singleton

    private func withProber(_ engine: TCPEngine, _ body: (any Prober) async throws -> Void) async throws {
        let prober = try engine.make()
        defer { TCPEngine.release(prober) }
        try await body(prober)
    }

    private func responder(host: String = "127.0.0.1", limits: ResponderLimits = ResponderLimits()) async throws -> (
        any Channel, SocketAddress
    ) {
        let channel = try await TCPResponder(host: host, port: 0, limits: limits, group: group).bind()
        return (channel, channel.localAddress!)
    }

    @Test("an answered connect is ok, with its handshake RTT", arguments: TCPEngine.allCases)
    func ok(engine: TCPEngine) async throws {
        try await withProber(engine) { prober in
            let (channel, address) = try await responder()
            defer { channel.close(promise: nil) }
            let outcome = await prober.probe(ProbeRequest(address: address, timeout: .seconds(2), delay: .seconds(1)))
            #expect(outcome.result == .ok)
            let rtt = try #require(outcome.rtt)
            #expect(rtt > .zero && rtt < .seconds(1))
            #expect(outcome.connectRTT == rtt)
        }
    }

    @Test("an answer above the delay is slow", arguments: TCPEngine.allCases)
    func slow(engine: TCPEngine) async throws {
        try await withProber(engine) { prober in
            let (channel, address) = try await responder()
            defer { channel.close(promise: nil) }
            let outcome = await prober.probe(ProbeRequest(address: address, delay: .nanoseconds(1)))
            #expect(outcome.result == .slow)
            #expect(outcome.rtt != nil)
        }
    }

    @Test("a closed port is refused", arguments: TCPEngine.allCases)
    func refused(engine: TCPEngine) async throws {
        try await withProber(engine) { prober in
            // Bind and close to find a port nothing listens on; the address is this test's alone,
            // so no other test's listener can take the port meanwhile.
            let (channel, address) = try await responder(host: "127.0.91.1")
            try await channel.close()
            let outcome = await prober.probe(ProbeRequest(address: address))
            #expect(outcome.result == .refused)
            #expect(outcome.rtt == nil)
        }
    }

    @Test("a SYN nobody answers is a timeout (listener with a full accept queue drops it)", arguments: TCPEngine.allCases)
    func timeout(engine: TCPEngine) async throws {
        try await withProber(engine) { prober in
            let (listener, port) = try BlockingSocket.listener(backlog: 0)
            let filler = BlockingSocket()
            try filler.connect(host: "127.0.0.1", port: port)
            let started = ContinuousClock.now
            let outcome = await prober.probe(
                ProbeRequest(address: try SocketAddress(ipAddress: "127.0.0.1", port: port), timeout: .milliseconds(300))
            )
            let elapsed = started.duration(to: .now)
            #expect(outcome.result == .timeout, "\(outcome)")
            // The upper bound only catches a probe that ignores its timeout and waits out the
            // kernel's SYN retries (1 s, 3 s, 7 s...); it is loose because other suites may be
            // using every core.
            #expect(elapsed >= .milliseconds(300) && elapsed < .seconds(6))
            withExtendedLifetime((listener, filler)) {}
        }
    }

    @Test("payload mode sends N bytes and times the echo", arguments: TCPEngine.allCases)
    func payload(engine: TCPEngine) async throws {
        try await withProber(engine) { prober in
            let (channel, address) = try await responder()
            defer { channel.close(promise: nil) }
            let outcome = await prober.probe(ProbeRequest(address: address, delay: .seconds(1), payloadBytes: 16 * 1024))
            #expect(outcome.result == .ok, "\(outcome)")
            #expect(outcome.rtt != nil && outcome.connectRTT != nil)
        }
    }

    @Test("a payload above the responder's cap is cut off: the probe is an error, not ok", arguments: TCPEngine.allCases)
    func payloadAboveCap(engine: TCPEngine) async throws {
        try await withProber(engine) { prober in
            let (channel, address) = try await responder(limits: ResponderLimits(maxPayloadBytes: 1000))
            defer { channel.close(promise: nil) }
            let outcome = await prober.probe(ProbeRequest(address: address, payloadBytes: 4000))
            #expect(outcome.result == .error, "\(outcome)")
            #expect(outcome.connectRTT != nil)
        }
    }

    @Test("probes leave from the configured source address", arguments: TCPEngine.allCases)
    func sourceAddress(engine: TCPEngine) async throws {
        try await withProber(engine) { prober in
            let (accepted, record) = AsyncStream.makeStream(of: String?.self)
            let server = try await ServerBootstrap(group: group)
                .childChannelInitializer { channel in
                    record.yield(channel.remoteAddress?.ipAddress)
                    return channel.eventLoop.makeSucceededVoidFuture()
                }
                .bind(host: "127.0.91.2", port: 0).get()
            defer { server.close(promise: nil) }
            // A payload the server never echoes keeps the connection open until the server has
            // accepted it; a plain probe's RST could beat the accept and leave no peer address.
            let outcome = await prober.probe(
                ProbeRequest(
                    address: server.localAddress!, timeout: .milliseconds(500), payloadBytes: 1,
                    sourceAddress: try SocketAddress(ipAddress: "127.0.0.77", port: 0))
            )
            #expect(outcome.connectRTT != nil)
            var peers = accepted.makeAsyncIterator()
            #expect(await peers.next() == "127.0.0.77")
        }
    }

    @Test("IPv6 loopback, where the machine has it", .requires(.ipv6Loopback), arguments: TCPEngine.allCases)
    func ipv6(engine: TCPEngine) async throws {
        try await withProber(engine) { prober in
            let (channel, address) = try await responder(host: "::1")
            defer { channel.close(promise: nil) }
            let outcome = await prober.probe(ProbeRequest(address: address, delay: .seconds(1)))
            #expect(outcome.result == .ok)
        }
    }

    @Test("each probe reports the source port it left from, a fresh one per probe", arguments: TCPEngine.allCases)
    func sourcePort(engine: TCPEngine) async throws {
        try await withProber(engine) { prober in
            let (accepted, record) = AsyncStream.makeStream(of: Int?.self)
            let server = try await ServerBootstrap(group: group)
                .childChannelInitializer { channel in
                    record.yield(channel.remoteAddress?.port)
                    return channel.eventLoop.makeSucceededVoidFuture()
                }
                .bind(host: "127.0.91.3", port: 0).get()
            defer { server.close(promise: nil) }
            var peers = accepted.makeAsyncIterator()
            var ports: [Int] = []
            for _ in 0..<3 {
                // An echo the server never sends keeps the connection until the server has seen its peer.
                let outcome = await prober.probe(
                    ProbeRequest(address: server.localAddress!, timeout: .milliseconds(300), payloadBytes: 1))
                let port = try #require(outcome.sourcePort, "\(outcome)")
                #expect(await peers.next() == port, "the port the server saw the probe come from")
                ports.append(port)
            }
            #expect(Set(ports).count == 3, "a new connection, so a new source port, for every probe: \(ports)")
        }
    }

    @Test("a fixed source port (ECMP rotation) is used probe after probe, and alongside another probe holding it", arguments: TCPEngine.allCases)
    func fixedSourcePort(engine: TCPEngine) async throws {
        try await withProber(engine) { prober in
            let (first, firstAddress) = try await responder(host: "127.0.91.4")
            let (second, secondAddress) = try await responder(host: "127.0.91.5")
            defer {
                first.close(promise: nil)
                second.close(promise: nil)
            }
            let port = Int.random(in: 20_000...29_000)
            let source = try SocketAddress(ipAddress: "127.0.0.1", port: port)
            for _ in 0..<3 {
                let outcome = await prober.probe(ProbeRequest(address: firstAddress, timeout: .seconds(2), delay: .seconds(1), sourceAddress: source))
                #expect(outcome.result == .ok && outcome.sourcePort == port, "\(outcome)")
            }
            // Two targets from one port at once: different 4-tuples, both allowed.
            async let a = prober.probe(ProbeRequest(address: firstAddress, timeout: .seconds(2), delay: .seconds(1), payloadBytes: 64, sourceAddress: source))
            async let b = prober.probe(ProbeRequest(address: secondAddress, timeout: .seconds(2), delay: .seconds(1), payloadBytes: 64, sourceAddress: source))
            let (x, y) = await (a, b)
            #expect(x.result == .ok && y.result == .ok, "\(x) \(y)")
            #expect(x.sourcePort == port && y.sourcePort == port)
        }
    }

    @Test("a probe nobody answers still reports its source port (a black hole shows per port)", arguments: TCPEngine.allCases)
    func sourcePortOnTimeout(engine: TCPEngine) async throws {
        try await withProber(engine) { prober in
            let (listener, port) = try BlockingSocket.listener(backlog: 0)
            let filler = BlockingSocket()
            try filler.connect(host: "127.0.0.1", port: port)
            let outcome = await prober.probe(
                ProbeRequest(address: try SocketAddress(ipAddress: "127.0.0.1", port: port), timeout: .milliseconds(200)))
            #expect(outcome.result == .timeout, "\(outcome)")
            #expect(outcome.sourcePort.map { (1...65535).contains($0) } == true, "\(outcome)")
            withExtendedLifetime((listener, filler)) {}
        }
    }

    @Test("socket errors map to result classes")
    func classification() {
        #expect(ErrorClassification.classify(errno: ECONNREFUSED) == .refused)
        #expect(ErrorClassification.classify(errno: ENETUNREACH) == .unreachable)
        #expect(ErrorClassification.classify(errno: EHOSTUNREACH) == .unreachable)
        #expect(ErrorClassification.classify(errno: ETIMEDOUT) == .timeout)
        #expect(ErrorClassification.classify(errno: EACCES) == .error)
        #expect(ErrorClassification.classify(ChannelError.connectTimeout(.seconds(1))) == .timeout)
        #expect(ErrorClassification.classify(IOError(errnoCode: ECONNREFUSED, reason: "connect")) == .refused)
    }
}
