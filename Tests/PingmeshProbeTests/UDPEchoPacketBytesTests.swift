import NIOCore
import Testing

@testable import PingmeshProbe

@Suite("UDP echo packet bytes")
struct UDPEchoPacketBytesTests {
    @Test("bytes, stamped with a sequence and send time, read back as the same packet, with or without a buffer")
    func roundTrip() throws {
        var bytes = UDPEchoPacket(type: .request, proberID: 0xDEAD_BEEF, sequence: 0, sentNanoseconds: 0).bytes(totalBytes: 100)
        #expect(bytes.count == 100)
        UDPEchoPacket.stamp(&bytes, sequence: 0x0102_0304_0506_0708, sentNanoseconds: UInt64.max - 7)
        var expected = UDPEchoPacket(type: .request, proberID: 0xDEAD_BEEF, sequence: 0x0102_0304_0506_0708, sentNanoseconds: UInt64.max - 7)
        #expect(bytes.withUnsafeBytes { UDPEchoPacket(bytes: $0) } == expected)
        #expect(UDPEchoPacket(peeking: ByteBuffer(bytes: bytes)) == expected)

        var reply = ByteBuffer(bytes: bytes)
        UDPEchoPacket.makeReply(&reply, received: 11, sent: 12)
        expected.type = .reply
        expected.responderReceivedNanoseconds = 11
        expected.responderSentNanoseconds = 12
        #expect(Array(reply.readableBytesView).withUnsafeBytes { UDPEchoPacket(bytes: $0) } == expected)
    }

    @Test("anything shorter than the header, without the magic or with an unknown type is not a packet")
    func notPackets() {
        let good = UDPEchoPacket(type: .request, proberID: 1, sequence: 1, sentNanoseconds: 1).bytes()
        var badMagic = good
        badMagic[0] ^= 0xFF
        var badType = good
        badType[4] = 9
        for bytes in [Array(good.prefix(43)), badMagic, badType, []] {
            #expect(bytes.withUnsafeBytes { UDPEchoPacket(bytes: $0) } == nil)
        }
    }
}
