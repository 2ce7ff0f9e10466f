import NIOCore
import PingmeshModel
import PingmeshTestSupport
import Testing

@testable import PingmeshProbe

/// ICMP echo against the loopback interface, which the kernel answers itself. Where this machine
/// lets a plain socket() open an ICMP socket, the prober must open one too.
@Suite("ICMP prober", .requires(.icmp))
struct ICMPProberTests {

    @Test("an echo to 127.0.0.1 is ok, with its RTT and the reply's TTL")
    func loopbackV4() async throws {
        let prober = try ICMPProber.make()
        defer { prober.shutdown() }
        let outcome = await prober.probe(ProbeRequest(address: try SocketAddress(ipAddress: "127.0.0.1", port: 0), timeout: .seconds(2), delay: .seconds(5)))
        #expect(outcome.result == .ok, "\(outcome)")
        #expect((outcome.rtt ?? .zero) > .zero)
        // Linux stamps the reply as it arrives: the RTT ends there, before the reader woke up.
        let userSpace = try #require(outcome.userSpaceRTT, "no kernel receive timestamp on the reply")
        #expect(try #require(outcome.rtt) <= userSpace)
        #expect(outcome.replyTTL == 64, "Linux answers with TTL 64")
        let payload = await prober.probe(ProbeRequest(address: try SocketAddress(ipAddress: "127.0.0.1", port: 0), delay: .seconds(5), payloadBytes: 1_400))
        #expect(payload.result == .ok)
    }

    @Test("300 echoes in flight to 100 loopback addresses: every reply matched to its own probe")
    func manyInFlight() async throws {
        let prober = try ICMPProber.make()
        defer { prober.shutdown() }
        let addresses = try (0..<100).map { try SocketAddress(ipAddress: "127.0.94.\($0 + 1)", port: 0) }
        let outcomes = await withTaskGroup(of: ProbeOutcome.self) { group in
            for _ in 0..<3 {
                for address in addresses { group.addTask { await prober.probe(ProbeRequest(address: address, timeout: .seconds(3), delay: .seconds(5))) } }
            }
            var all: [ProbeOutcome] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.count == 300 && outcomes.allSatisfy { $0.result == .ok }, "\(outcomes.filter { $0.result != .ok }.prefix(3))")
    }

    @Test("IPv6 loopback, where the machine has it", .requires(.ipv6Loopback, .icmpv6))
    func loopbackV6() async throws {
        let prober = try ICMPProber.make()
        defer { prober.shutdown() }
        #expect(prober.modes.contains { $0.hasPrefix("IPv6") }, "\(prober.modes)")
        let outcome = await prober.probe(ProbeRequest(address: try SocketAddress(ipAddress: "::1", port: 0), timeout: .seconds(2), delay: .seconds(5)))
        #expect(outcome.result == .ok, "\(outcome)")
        #expect(outcome.replyTTL == 64, "Linux answers with hop limit 64")
    }

    @Test("after shutdown a probe ends at once as an error")
    func shutdown() async throws {
        let prober = try ICMPProber.make()
        prober.shutdown()
        let outcome = await prober.probe(ProbeRequest(address: try SocketAddress(ipAddress: "127.0.0.1", port: 0)))
        #expect(outcome.result == .error)
    }
}
