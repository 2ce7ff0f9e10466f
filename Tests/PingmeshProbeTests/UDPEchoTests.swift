import Foundation
import NIOCore
import NIOPosix
import PingmeshModel
import PingmeshTestSupport
import Synchronization
import Testing

@testable import PingmeshProbe

/// UDP echo probes against real responders on loopback.
@Suite("UDP echo")
struct UDPEchoTests {
    static func responder(host: String = "127.0.0.1", limits: ResponderLimits = ResponderLimits(), rate: Int = 20_000) async throws -> (any Channel, SocketAddress) {
        let channel = try await UDPEchoResponder(
            host: host, port: 0, limits: limits, maxRepliesPerSecond: rate, group: MultiThreadedEventLoopGroup.singleton
        ).bind()
        let port = try #require(channel.localAddress?.port)
        return (channel, try SocketAddress(ipAddress: host, port: port))
    }

    @Test("an echo is ok, with its RTT and the responder's dwell; slow above the delay")
    func echo() async throws {
        let prober = UDPProber()
        let (channel, address) = try await Self.responder()
        // A delay far above any RTT: on a loaded machine a 10 ms one would make it "slow".
        let outcome = await prober.probe(ProbeRequest(address: address, timeout: .seconds(2), delay: .seconds(5)))
        #expect(outcome.result == .ok, "\(outcome)")
        let rtt = try #require(outcome.rtt)
        let dwell = try #require(outcome.responderDwell)
        #expect(rtt > .zero && dwell >= .zero && dwell < rtt)
        // Linux stamps the reply as it arrives: the RTT ends there, before the reader woke up.
        let userSpace = try #require(outcome.userSpaceRTT, "no kernel receive timestamp on the reply")
        #expect(rtt <= userSpace)
        #expect(await prober.probe(ProbeRequest(address: address, delay: .nanoseconds(1))).result == .slow)
        try await channel.close()
        await prober.shutdown()
    }

    @Test("probes from a fixed source port (ECMP rotation) leave from it and report it; other ports get their own socket")
    func fixedSourcePorts() async throws {
        let prober = UDPProber()
        let (channel, address) = try await Self.responder()
        let base = Int.random(in: 20_000...29_000)
        for port in [base, base + 1, base] {
            let outcome = await prober.probe(
                ProbeRequest(address: address, timeout: .seconds(2), delay: .seconds(5), sourceAddress: try SocketAddress(ipAddress: "127.0.0.1", port: port)))
            #expect(outcome.result == .ok && outcome.sourcePort == port, "\(outcome)")
        }
        let fresh = await prober.probe(ProbeRequest(address: address, timeout: .seconds(2), delay: .seconds(5)))
        #expect(fresh.result == .ok && fresh.sourcePort != nil && fresh.sourcePort != base, "\(fresh)")
        try await channel.close()
        await prober.shutdown()
    }

    @Test("a port nobody answers is a timeout after the probe's timeout, not sooner")
    func silentPort() async throws {
        let prober = UDPProber()
        // A bound socket that reads nothing back: the datagram is delivered and never answered.
        let silent = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: try #require(silent.localAddress?.port))
        let started = ContinuousClock.now
        let outcome = await prober.probe(ProbeRequest(address: address, timeout: .milliseconds(200)))
        #expect(outcome.result == .timeout)
        #expect(started.duration(to: .now) >= .milliseconds(200))
        try await silent.close()
        await prober.shutdown()
    }

    @Test("the responder answers only Pingmesh requests, same size, and drops datagrams above its cap")
    func responderIsNoReflector() async throws {
        let (channel, address) = try await Self.responder(limits: ResponderLimits(maxPayloadBytes: 1_000))
        let client = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collect()) } }
            .bind(host: "127.0.0.1", port: 0).get()
        func send(_ buffer: ByteBuffer) async throws { try await client.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer)) }
        try await send(ByteBuffer(string: "GET / HTTP/1.0\r\n\r\n not a probe, long enough to be a header......"))
        var big = ByteBuffer()
        UDPEchoPacket(type: .request, proberID: 1, sequence: 1, sentNanoseconds: 5).write(to: &big, totalBytes: 1_200)
        try await send(big)
        var reply = ByteBuffer()
        UDPEchoPacket(type: .reply, proberID: 1, sequence: 2, sentNanoseconds: 5).write(to: &reply)
        try await send(reply)
        var good = ByteBuffer()
        UDPEchoPacket(type: .request, proberID: 1, sequence: 3, sentNanoseconds: 5).write(to: &good, totalBytes: 600)
        try await send(good)
        let collected = try await client.pipeline.handler(type: Collect.self).get()
        let deadline = ContinuousClock.now + .seconds(2)
        while collected.received.withLock({ $0.isEmpty }) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        // Give any wrongly answered datagram time to arrive too.
        try await Task.sleep(for: .milliseconds(100))
        let received = collected.received.withLock { $0 }
        #expect(received.count == 1, "only the valid request within the cap is answered")
        let packet = try #require(received.first.flatMap { UDPEchoPacket(peeking: $0) })
        #expect(packet.type == .reply && packet.sequence == 3 && received.first?.readableBytes == 600)
        try await client.close()
        try await channel.close()
    }

    @Test("500 probes in flight to 50 responders on 127.0.x.y through one socket: every reply matched to its probe")
    func sharedSocketDemultiplexes() async throws {
        let prober = UDPProber()
        var responders: [(any Channel, SocketAddress)] = []
        for index in 0..<50 { responders.append(try await Self.responder(host: "127.0.93.\(index + 1)")) }
        let outcomes = await withTaskGroup(of: ProbeOutcome.self) { group in
            for round in 0..<10 {
                for (_, address) in responders {
                    group.addTask { await prober.probe(ProbeRequest(address: address, timeout: .seconds(3), payloadBytes: round * 100)) }
                }
            }
            var all: [ProbeOutcome] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.count == 500)
        #expect(outcomes.filter { $0.result == .ok || $0.result == .slow }.count == 500, "\(outcomes.filter { $0.rtt == nil }.prefix(3))")
        for (channel, _) in responders { try await channel.close() }
        await prober.shutdown()
    }

    @Test("IPv6 loopback, where the machine has it", .requires(.ipv6Loopback))
    func ipv6() async throws {
        let prober = UDPProber()
        let (channel, address) = try await Self.responder(host: "::1")
        #expect(await prober.probe(ProbeRequest(address: address, delay: .seconds(5))).result == .ok)
        try await channel.close()
        await prober.shutdown()
    }
}

/// Keeps every datagram a test client receives.
final class Collect: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let received = Mutex<[ByteBuffer]>([])
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        received.withLock { $0.append(envelope.data) }
    }
}
