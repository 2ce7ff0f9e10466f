import NIOCore
import NIOPosix
import PingmeshModel
import PingmeshTestSupport
import Testing

@testable import PingmeshProbe

/// DNS probes against a real dnsmasq on loopback (skipped where it is not installed, failed
/// under CI), and against sockets that fail in the ways a server can: nothing listening,
/// silence, garbage.
@Suite("DNS prober", .serialized)
struct DNSProberTests {
    /// Each record type of the test zone, with the answer that must come back.
    static let cases: [(name: String, type: DNSRecordType, answer: String)] = [
        ("www.pingmesh.test", .a, "10.0.0.1"),
        ("www.pingmesh.test", .aaaa, "fd00::1"),
        ("alias.pingmesh.test", .cname, "www.pingmesh.test."),
        ("_probe._tcp.pingmesh.test", .srv, "10 5 9301 www.pingmesh.test."),
        ("txt.pingmesh.test", .txt, "v=pingmesh1"),
        ("pingmesh.test", .mx, "10 mail.pingmesh.test."),
    ]

    @Test("every record type is answered and matched over UDP and TCP", .requires(.tool(.dnsmasq)), arguments: DNSTransport.allCases)
    func recordTypes(transport: DNSTransport) async throws {
        let server = try await DNSMasq.start()
        for (name, type, answer) in Self.cases {
            let options = DNSProbeOptions(queryName: name, queryType: type, transport: transport, expectedAnswers: [answer])
            let outcome = await DNSProber().probe(DNSMasq.request(try server.address(), options))
            #expect(outcome.result == .ok, "\(type) \(name) over \(transport): \(outcome)")
            #expect(outcome.detail?.contains(answer) == true, "\(outcome)")
            #expect((outcome.rtt ?? .zero) > .zero)
            #expect((outcome.connectRTT != nil) == (transport == .tcp))
            #expect(outcome.sourcePort != nil, "the port the query left from is reported (ECMP)")
        }
        await server.stop()
    }

    @Test("a CNAME chain satisfies an expected address", .requires(.tool(.dnsmasq)), arguments: DNSTransport.allCases)
    func chain(transport: DNSTransport) async throws {
        let server = try await DNSMasq.start()
        let options = DNSProbeOptions(queryName: "alias.pingmesh.test", queryType: .a, transport: transport, expectedAnswers: ["10.0.0.1"])
        let outcome = await DNSProber().probe(DNSMasq.request(try server.address(), options))
        #expect(outcome.result == .ok, "\(outcome)")
        await server.stop()
    }

    @Test("::1 is probed like 127.0.0.1", .requires(.tool(.dnsmasq), .ipv6Loopback), arguments: DNSTransport.allCases)
    func ipv6(transport: DNSTransport) async throws {
        let server = try await DNSMasq.start()
        try #require(server.servesIPv6)
        let options = DNSProbeOptions(queryName: "alias.pingmesh.test", queryType: .a, transport: transport, expectedAnswers: ["10.0.0.1"])
        let outcome = await DNSProber().probe(DNSMasq.request(try server.address("::1"), options))
        #expect(outcome.result == .ok, "\(outcome)")
        await server.stop()
    }

    @Test("NXDOMAIN is an error naming the rcode, unless the target lists it as valid", .requires(.tool(.dnsmasq)))
    func nxdomain() async throws {
        let server = try await DNSMasq.start()
        let missing = DNSProbeOptions(queryName: "missing.pingmesh.test")
        let outcome = await DNSProber().probe(DNSMasq.request(try server.address(), missing))
        #expect(outcome.result == .error)
        #expect(outcome.detail == "rcode NXDOMAIN (valid: NOERROR)")
        var allowed = missing
        allowed.validResponseCodes = [.nameError]
        #expect(await DNSProber().probe(DNSMasq.request(try server.address(), allowed)).result == .ok)
        await server.stop()
    }

    @Test("an answer other than the expected one, or matching no pattern, is an answer mismatch", .requires(.tool(.dnsmasq)))
    func answerMismatch() async throws {
        let server = try await DNSMasq.start()
        let wrong = DNSProbeOptions(queryName: "www.pingmesh.test", expectedAnswers: ["10.0.0.9"])
        let outcome = await DNSProber().probe(DNSMasq.request(try server.address(), wrong))
        #expect(outcome.result == .error)
        #expect(outcome.detail == "answer mismatch: expected 10.0.0.9, got 10.0.0.1")
        let pattern = DNSProbeOptions(queryName: "www.pingmesh.test", answerPatterns: [#"^10\.0\.0\.[2-9]$"#])
        let unmatched = await DNSProber().probe(DNSMasq.request(try server.address(), pattern))
        #expect(unmatched.result == .error && unmatched.detail?.hasPrefix("answer mismatch: no answer matches") == true, "\(unmatched)")
        let matching = DNSProbeOptions(queryName: "www.pingmesh.test", answerPatterns: [#"^10\.0\.0\.\d+$"#])
        #expect(await DNSProber().probe(DNSMasq.request(try server.address(), matching)).result == .ok)
        await server.stop()
    }

    @Test("an answer too big for UDP is reported as truncated; over TCP it arrives whole", .requires(.tool(.dnsmasq)))
    func truncation() async throws {
        let server = try await DNSMasq.start()
        let big = DNSProbeOptions(queryName: "big.pingmesh.test", queryType: .txt)
        let overUDP = await DNSProber().probe(DNSMasq.request(try server.address(), big))
        #expect(overUDP.result == .error && overUDP.detail?.hasPrefix("truncated reply (TC)") == true, "\(overUDP)")
        var tcp = big
        tcp.transport = .tcp
        let overTCP = await DNSProber().probe(DNSMasq.request(try server.address(), tcp))
        #expect(overTCP.result == .ok, "\(overTCP)")
        await server.stop()
    }

    @Test("nothing listening is refused: ICMP port unreachable over UDP, RST over TCP", arguments: DNSTransport.allCases)
    func refused(transport: DNSTransport) async throws {
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: try await LoopbackPorts.unused())
        let options = DNSProbeOptions(queryName: "www.pingmesh.test", transport: transport)
        let outcome = await DNSProber().probe(DNSMasq.request(address, options))
        #expect(outcome.result == .refused, "\(outcome)")
    }

    @Test("a server that never answers is a timeout", arguments: DNSTransport.allCases)
    func timeout(transport: DNSTransport) async throws {
        let silentUDP = try await ScriptedUDPServer.start { _ in nil }
        let silentTCP = try await LoopbackPorts.silentTCPListener()
        let port = transport == .udp ? silentUDP.address.port! : silentTCP.localAddress!.port!
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        let options = DNSProbeOptions(queryName: "www.pingmesh.test", transport: transport)
        let outcome = await DNSProber().probe(DNSMasq.request(address, options, timeout: .milliseconds(300)))
        #expect(outcome.result == .timeout, "\(outcome)")
        #expect(outcome.detail?.contains("within") == true)
        await silentUDP.stop()
        try await silentTCP.close()
    }

    @Test("garbage with the query's id is a malformed reply; garbage with another id is ignored")
    func malformed() async throws {
        // Echo the id, then bytes that cannot be a header.
        let garbage = try await ScriptedUDPServer.start { query in Array(query.prefix(2)) + [0xde, 0xad, 0xbe, 0xef] }
        let options = DNSProbeOptions(queryName: "www.pingmesh.test")
        let outcome = await DNSProber().probe(DNSMasq.request(garbage.address, options))
        #expect(outcome.result == .error, "\(outcome)")
        #expect(outcome.detail?.hasPrefix("malformed reply: ") == true, "\(outcome)")
        #expect(outcome.rtt != nil)
        await garbage.stop()

        // A compression loop in an otherwise well-formed reply.
        let looping = try await ScriptedUDPServer.start { query in
            Array(query.prefix(2)) + [0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]
        }
        let loop = await DNSProber().probe(DNSMasq.request(looping.address, options))
        #expect(loop.result == .error && loop.detail?.contains("loop") == true, "\(loop)")
        await looping.stop()

        let stray = try await ScriptedUDPServer.start { query in [query[0] ^ 0xff, query[1]] + Array(query.dropFirst(2)) }
        let ignored = await DNSProber().probe(DNSMasq.request(stray.address, options, timeout: .milliseconds(300)))
        #expect(ignored.result == .timeout && ignored.detail?.contains("ignored 1 datagrams") == true, "\(ignored)")
        await stray.stop()
    }

    @Test("a request without dns options is an error, not a crash")
    func missingOptions() async throws {
        let outcome = await DNSProber().probe(ProbeRequest(address: try SocketAddress(ipAddress: "127.0.0.1", port: 53)))
        #expect(outcome.result == .error && outcome.detail?.contains("without dns options") == true)
    }
}
