import Foundation
import NIOCore
import PingmeshModel
import PingmeshTestSupport
import Testing

@testable import PingmeshProbe

/// NTP probes against a real chronyd on loopback (skipped where it is not installed, failed
/// under CI), the replies a client must refuse from a scripted server, and the clock arithmetic.
@Suite("NTP prober", .serialized)
struct NTPProberTests {
    static func request(_ address: SocketAddress, timeout: Duration = .seconds(2)) -> ProbeRequest {
        ProbeRequest(address: address, timeout: timeout, delay: .seconds(1))
    }

    @Test("chronyd on the same clock: ok, an RTT above zero and an offset of well under 50 ms", .requires(.tool(.chronyd)))
    func chronyd() async throws {
        let server = try await Chronyd.start()
        for _ in 0..<3 {
            let outcome = await NTPProber().probe(Self.request(try server.address()))
            #expect(outcome.result == .ok, "\(outcome)")
            let rtt = try #require(outcome.rtt)
            let offset = try #require(outcome.clockOffset)
            #expect(rtt > .zero && rtt < .seconds(1), "\(outcome)")
            #expect(abs(offset.seconds) < 0.05, "\(outcome)")
            #expect(outcome.detail?.hasPrefix("stratum 8") == true, "\(outcome)")
        }
        await server.stop()
    }

    @Test("nothing listening is refused; silence is a timeout")
    func refusedAndTimeout() async throws {
        let closed = try SocketAddress(ipAddress: "127.0.0.1", port: try await LoopbackPorts.unused())
        #expect(await NTPProber().probe(Self.request(closed)).result == .refused)
        let silent = try await ScriptedUDPServer.start { _ in nil }
        #expect(await NTPProber().probe(Self.request(silent.address, timeout: .milliseconds(300))).result == .timeout)
        await silent.stop()
    }

    /// A server answering every request with `reply`, given the request.
    static func scripted(_ reply: @escaping @Sendable (NTPPacket) -> NTPPacket) async throws -> ScriptedUDPServer {
        try await ScriptedUDPServer.start { bytes in NTPPacket(decoding: bytes).map { reply($0).encoded } }
    }

    /// A well-formed server reply to `request`, stamped with the current time.
    static func goodReply(to request: NTPPacket) -> NTPPacket {
        let now = NTPTimestamp(sinceUnixEpoch: .seconds(Date().timeIntervalSince1970))
        return NTPPacket(
            mode: 4, stratum: 2, referenceID: 0x0a00_0001, originTimestamp: request.transmitTimestamp, receiveTimestamp: now,
            transmitTimestamp: now)
    }

    /// Replies RFC 4330 5 tells a client to refuse, made from a good one.
    enum UnusableReply: String, CaseIterable, Sendable {
        case kissOfDeath = "kiss-o'-death RATE"
        case leapUnsynchronised = "unsynchronised (leap indicator 3)"
        case foreignOrigin = "not a reply to this request"
        case stratumUnsynchronised = "unsynchronised (stratum 16)"

        func reply(to request: NTPPacket) -> NTPPacket {
            var reply = NTPProberTests.goodReply(to: request)
            switch self {
            case .kissOfDeath:
                reply.stratum = 0
                reply.referenceID = 0x5241_5445  // "RATE"
            case .leapUnsynchronised: reply.leapIndicator = 3
            case .foreignOrigin: reply.originTimestamp = NTPTimestamp(bits: request.transmitTimestamp.bits &+ 1)
            case .stratumUnsynchronised: reply.stratum = 16
            }
            return reply
        }
    }

    @Test("replies a client must not use are errors that say why", arguments: UnusableReply.allCases)
    func refusedReplies(_ kind: UnusableReply) async throws {
        let server = try await Self.scripted(kind.reply(to:))
        let outcome = await NTPProber().probe(Self.request(server.address))
        #expect(outcome.result == .error, "\(outcome)")
        #expect(outcome.detail?.contains(kind.rawValue) == true, "\(outcome)")
        #expect(outcome.clockOffset == nil)
        await server.stop()
    }

    @Test("a scripted good reply is ok with a reference id shown as an address above stratum 1")
    func scriptedGoodReply() async throws {
        let server = try await Self.scripted(Self.goodReply(to:))
        let outcome = await NTPProber().probe(Self.request(server.address))
        #expect(outcome.result == .ok && outcome.detail == "stratum 2, reference 10.0.0.1", "\(outcome)")
        await server.stop()
    }

    @Test("a reply shorter than the header is malformed")
    func shortReply() async throws {
        let server = try await ScriptedUDPServer.start { _ in [0x24, 1, 2, 3] }
        let outcome = await NTPProber().probe(Self.request(server.address))
        #expect(outcome.result == .error && outcome.detail?.hasPrefix("malformed reply") == true, "\(outcome)")
        await server.stop()
    }

    @Test("offset and delay follow RFC 5905 from the four timestamps")
    func arithmetic() throws {
        // The server is 5 s ahead; 10 ms each way; it holds the request 1 ms.
        let t1 = Duration.seconds(1_800_000_000)
        let t2 = t1 + .seconds(5) + .milliseconds(10)
        let t3 = t2 + .milliseconds(1)
        let t4 = t1 + .milliseconds(21)
        let reply = NTPPacket(
            mode: 4, stratum: 3, originTimestamp: NTPTimestamp(bits: 42), receiveTimestamp: NTPTimestamp(sinceUnixEpoch: t2),
            transmitTimestamp: NTPTimestamp(sinceUnixEpoch: t3))
        let measurement = try NTPExchangeCheck.measure(reply, cookie: 42, sent: t1, received: t4).get()
        // NTP fractions are 2^-32 s: a few nanoseconds of rounding.
        #expect(abs((measurement.offset - .seconds(5)).seconds) < 1e-8, "\(measurement)")
        #expect(abs((measurement.roundTrip - .milliseconds(20)).seconds) < 1e-8, "\(measurement)")
    }

    @Test("timestamps convert to and from the Unix epoch, era 1 included")
    func timestamps() {
        let now = Duration.seconds(1_764_000_000) + .nanoseconds(500_000_000)
        let stamp = NTPTimestamp(sinceUnixEpoch: now)
        #expect(stamp.seconds == UInt32(1_764_000_000 + 2_208_988_800))
        #expect(stamp.fraction == 1 << 31)
        #expect(stamp.sinceUnixEpoch == now)
        // 2040, past the end of era 0 in 2036.
        let later = Duration.seconds(2_208_988_800)
        #expect(NTPTimestamp(sinceUnixEpoch: later).sinceUnixEpoch == later)
    }

    @Test("a client request is 48 bytes, version 4, mode 3, carrying the cookie as its transmit timestamp")
    func requestLayout() {
        let bytes = NTPPacket.clientRequest(cookie: 0x1122_3344_5566_7788).encoded
        #expect(bytes.count == 48)
        #expect(bytes[0] == 0x23)
        #expect(Array(bytes[40...]) == [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88])
        #expect(NTPPacket(decoding: bytes) == .clientRequest(cookie: 0x1122_3344_5566_7788))
    }
}
