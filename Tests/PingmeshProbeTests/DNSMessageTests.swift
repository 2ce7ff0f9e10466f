import PingmeshModel
import Testing

@testable import PingmeshProbe

/// The DNS wire format: queries byte for byte, replies captured from dnsmasq (compression
/// pointers included), and the malformed messages a prober must refuse without hanging.
@Suite("DNS message")
struct DNSMessageTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    @Test("a query encodes as RFC 1035 lays it out: header with RD, one question, labels, type and class")
    func encodeQuery() throws {
        let query = DNSMessage.query(id: 0x1234, name: "www.test.", type: DNSRecordType.aaaa.rawValue)
        #expect(try query.encodedQuery() == Self.bytes("12340100000100000000000003777777047465737400001c0001"))
        // The root is the empty name: one zero byte.
        #expect(try DNSMessage.query(id: 1, name: ".", type: 2).encodedQuery().suffix(5) == [0, 0, 2, 0, 1])
    }

    @Test("labels above 63 bytes and names above 255 are refused when encoding")
    func encodeLimits() {
        #expect(throws: DNSWireError.labelTooLong(64)) {
            try DNSMessage.query(id: 1, name: String(repeating: "a", count: 64) + ".test", type: 1).encodedQuery()
        }
        let long = Array(repeating: String(repeating: "a", count: 60), count: 5).joined(separator: ".")
        #expect(throws: DNSWireError.nameTooLong) { try DNSMessage.query(id: 1, name: long, type: 1).encodedQuery() }
    }

    @Test("a captured CNAME-chain reply decodes through its compression pointers")
    func decodeCompressedReply() throws {
        // dnsmasq's answer to alias.test A: a CNAME to www.test, whose name points into the
        // CNAME's data, then the A record.
        let reply = try DNSMessage(
            decoding: Self.bytes(
                "12348580000100020000000005616c69617304746573740000010001c00c0005000100000000000a03777777047465737400c028000100010000000000040a000001"
            ))
        #expect(reply.id == 0x1234 && reply.isResponse && reply.isAuthoritative && reply.recursionDesired && reply.recursionAvailable)
        #expect(reply.responseCode == 0 && !reply.isTruncated)
        #expect(reply.questions == [DNSQuestion(name: "alias.test", type: 1)])
        #expect(reply.answers.map(\.name) == ["alias.test", "www.test"])
        #expect(reply.answers.map(\.data) == [.name("www.test"), .ipv4([10, 0, 0, 1])])
        #expect(reply.answers.map(\.data.presentation) == ["www.test.", "10.0.0.1"])
    }

    @Test("SRV, TXT, MX and AAAA data decode to their zone-file text")
    func decodeRecordTypes() throws {
        let srv = try DNSMessage(
            decoding: Self.bytes(
                "123485800001000100000002045f737663045f74637004746573740000210001c00c00210001000000000010000100021f9003777777047465737400c032000100010000000000040a000001c032001c0001000000000010fd000000000000000000000000000001"
            ))
        #expect(srv.answers.first?.data.presentation == "1 2 8080 www.test.")
        #expect(srv.additional.map(\.data.presentation) == ["10.0.0.1", "fd00::1"])
        let txt = try DNSMessage(
            decoding: Self.bytes("1234858000010001000000000374787404746573740000100001c00c0010000100000000000c0b68656c6c6f20776f726c64"))
        #expect(txt.answers.first?.data == .text(["hello world"]))
        let mx = try DNSMessage(
            decoding: Self.bytes("123485800001000100000000047465737400000f0001c00c000f000100000000000d000a046d61696c047465737400"))
        #expect(mx.answers.first?.data.presentation == "10 mail.test.")
    }

    @Test("a pointer to itself, or forward, is a loop and is refused; so is one past the end")
    func rejectPointerLoops() {
        let header = Self.bytes("123481800001000000000000")
        // The question's name is a pointer to its own offset (12).
        #expect(throws: DNSWireError.pointerLoop(at: 12)) { try DNSMessage(decoding: header + [0xc0, 12, 0, 1, 0, 1]) }
        // Two names pointing at each other: the first jump already goes forwards.
        let mutual = header + [0x01, 0x61, 0xc0, 18, 0, 1, 0x01, 0x62, 0xc0, 12]
        #expect(throws: DNSWireError.pointerLoop(at: 14)) { try DNSMessage(decoding: mutual) }
        #expect(throws: DNSWireError.pointerOutOfRange(0x3fff, at: 12)) { try DNSMessage(decoding: header + [0xff, 0xff, 0, 1, 0, 1]) }
    }

    @Test("a message cut short, a bad label type or record data of the wrong length is refused")
    func rejectMalformed() {
        #expect(throws: DNSWireError.self) { try DNSMessage(decoding: [0x12, 0x34, 0x81]) }
        #expect(throws: DNSWireError.badLabelType(0x40, at: 12)) {
            try DNSMessage(decoding: Self.bytes("123481800001000000000000") + [0x40, 0, 0, 1, 0, 1])
        }
        // An A record whose data is 3 bytes.
        let badA = Self.bytes("123481800001000100000000" + "01610000010001" + "00000100010000000000030a0000")
        #expect(throws: DNSWireError.badRecordData(type: 1, length: 3)) { try DNSMessage(decoding: badA) }
    }

    @Test("a truncated (TC) reply keeps its header and what records were read")
    func truncatedReplyDecodes() throws {
        // Header says one answer, TC set, but the answer is missing.
        let reply = try DNSMessage(decoding: Self.bytes("123483800001000100000000" + "01610000010001"))
        #expect(reply.isTruncated && reply.answers.isEmpty && reply.questions.first?.name == "a")
    }

    @Test("IPv6 addresses print in RFC 5952 form")
    func ipv6Text() {
        #expect(IPv6Text.format([0xfd, 0] + Array(repeating: 0, count: 13) + [1]) == "fd00::1")
        #expect(IPv6Text.format(Array(repeating: 0, count: 16)) == "::")
        #expect(IPv6Text.format([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]) == "2001:db8:0:1::1")
    }
}
