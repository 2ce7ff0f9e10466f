import NIOCore

/// The UDP echo probe on the wire (NetNORAD-style). The prober sends a request with its own id, a
/// sequence number and its send time; the responder turns it into a reply of the same size and
/// adds when it received the request and when it sent the reply, by its own clock. The RTT then
/// splits into network time and the responder's dwell, and a missing reply is loss. Integers are
/// big-endian; the payload after the header is padding, echoed as it came.
///
///     0       4     5     8          12               20               28               36               44
///     | magic | type| 0 0 0 | prober id | sequence      | sent (prober)  | received (resp.)| sent (resp.) | padding...
public struct UDPEchoPacket: Sendable, Equatable {
    public static let magic: UInt32 = 0x504D_5531  // "PMU1"
    public static let headerBytes = 44

    public enum PacketType: UInt8, Sendable {
        case request = 1
        case reply = 2
    }

    public var type: PacketType
    public var proberID: UInt32
    public var sequence: UInt64
    /// The prober's send time, nanoseconds on its monotonic clock.
    public var sentNanoseconds: UInt64
    /// The responder's receive and send times, nanoseconds on its monotonic clock (0 in a request).
    public var responderReceivedNanoseconds: UInt64 = 0
    public var responderSentNanoseconds: UInt64 = 0

    public init(type: PacketType, proberID: UInt32, sequence: UInt64, sentNanoseconds: UInt64) {
        self.type = type
        self.proberID = proberID
        self.sequence = sequence
        self.sentNanoseconds = sentNanoseconds
    }

    /// Reads the header at the buffer's reader index without moving it; nil for anything that is
    /// not a Pingmesh UDP echo packet (the responder ignores such datagrams).
    public init?(peeking buffer: ByteBuffer) {
        guard buffer.readableBytes >= Self.headerBytes,
            buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) == Self.magic,
            let rawType = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self), let type = PacketType(rawValue: rawType),
            let proberID = buffer.getInteger(at: buffer.readerIndex + 8, as: UInt32.self),
            let sequence = buffer.getInteger(at: buffer.readerIndex + 12, as: UInt64.self),
            let sent = buffer.getInteger(at: buffer.readerIndex + 20, as: UInt64.self),
            let received = buffer.getInteger(at: buffer.readerIndex + 28, as: UInt64.self),
            let replied = buffer.getInteger(at: buffer.readerIndex + 36, as: UInt64.self)
        else { return nil }
        self.init(type: type, proberID: proberID, sequence: sequence, sentNanoseconds: sent)
        responderReceivedNanoseconds = received
        responderSentNanoseconds = replied
    }

    /// Reads a packet from raw bytes, as `init(peeking:)` does from a buffer.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.headerBytes else { return nil }
        func integer<T: FixedWidthInteger>(at offset: Int, as: T.Type) -> T {
            T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        guard integer(at: 0, as: UInt32.self) == Self.magic, let type = PacketType(rawValue: bytes[4]) else { return nil }
        self.init(type: type, proberID: integer(at: 8, as: UInt32.self), sequence: integer(at: 12, as: UInt64.self), sentNanoseconds: integer(at: 20, as: UInt64.self))
        responderReceivedNanoseconds = integer(at: 28, as: UInt64.self)
        responderSentNanoseconds = integer(at: 36, as: UInt64.self)
    }

    /// The packet as bytes: the header, then zero padding up to `totalBytes`.
    public func bytes(totalBytes: Int = headerBytes) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(totalBytes, Self.headerBytes))
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.bigEndian) { bytes.replaceSubrange(offset..<offset + $0.count, with: $0) }
        }
        put(Self.magic, at: 0)
        bytes[4] = type.rawValue
        put(proberID, at: 8)
        put(sequence, at: 12)
        put(sentNanoseconds, at: 20)
        put(responderReceivedNanoseconds, at: 28)
        put(responderSentNanoseconds, at: 36)
        return bytes
    }

    /// Fills in a request's sequence number and send time in bytes made by `bytes(totalBytes:)`.
    public static func stamp(_ bytes: inout [UInt8], sequence: UInt64, sentNanoseconds: UInt64) {
        for index in 0..<8 {
            let shift = UInt64(56 - 8 * index)
            bytes[12 + index] = UInt8(truncatingIfNeeded: sequence >> shift)
            bytes[20 + index] = UInt8(truncatingIfNeeded: sentNanoseconds >> shift)
        }
    }

    /// Writes the header, then zero padding up to `totalBytes` (at least the header).
    public func write(to buffer: inout ByteBuffer, totalBytes: Int = headerBytes) {
        buffer.writeInteger(Self.magic)
        buffer.writeInteger(type.rawValue)
        buffer.writeBytes([0, 0, 0])
        buffer.writeInteger(proberID)
        buffer.writeInteger(sequence)
        buffer.writeInteger(sentNanoseconds)
        buffer.writeInteger(responderReceivedNanoseconds)
        buffer.writeInteger(responderSentNanoseconds)
        if totalBytes > Self.headerBytes { buffer.writeRepeatingByte(0, count: totalBytes - Self.headerBytes) }
    }

    /// Turns a request, in place, into its reply: type and the responder's two times.
    static func makeReply(_ buffer: inout ByteBuffer, received: UInt64, sent: UInt64) {
        let start = buffer.readerIndex
        buffer.setInteger(PacketType.reply.rawValue, at: start + 4)
        buffer.setInteger(received, at: start + 28)
        buffer.setInteger(sent, at: start + 36)
    }
}
