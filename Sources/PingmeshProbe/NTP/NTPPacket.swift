/// An NTP packet's 48-byte header (RFC 5905 7.3); extension fields and MACs are not used by an
/// SNTP client and are ignored when present.
public struct NTPPacket: Sendable, Hashable {
    /// 0 none, 1/2 a leap second at the end of the day, 3 unsynchronised.
    public var leapIndicator: UInt8
    public var version: UInt8
    /// 3 client, 4 server.
    public var mode: UInt8
    /// 0 is a kiss-o'-death, 1 a primary server, 16 unsynchronised.
    public var stratum: UInt8
    public var poll: Int8
    public var precision: Int8
    public var rootDelay: UInt32
    public var rootDispersion: UInt32
    public var referenceID: UInt32
    public var referenceTimestamp: NTPTimestamp
    /// The client's transmit timestamp, copied back by the server (T1 in RFC 5905 8).
    public var originTimestamp: NTPTimestamp
    /// When the server received the request (T2).
    public var receiveTimestamp: NTPTimestamp
    /// When the server sent the reply (T3); in a request, the client's own cookie.
    public var transmitTimestamp: NTPTimestamp

    public static let size = 48

    public init(
        leapIndicator: UInt8 = 0, version: UInt8 = 4, mode: UInt8, stratum: UInt8 = 0, poll: Int8 = 0, precision: Int8 = 0,
        rootDelay: UInt32 = 0, rootDispersion: UInt32 = 0, referenceID: UInt32 = 0,
        referenceTimestamp: NTPTimestamp = .init(bits: 0), originTimestamp: NTPTimestamp = .init(bits: 0),
        receiveTimestamp: NTPTimestamp = .init(bits: 0), transmitTimestamp: NTPTimestamp = .init(bits: 0)
    ) {
        self.leapIndicator = leapIndicator
        self.version = version
        self.mode = mode
        self.stratum = stratum
        self.poll = poll
        self.precision = precision
        self.rootDelay = rootDelay
        self.rootDispersion = rootDispersion
        self.referenceID = referenceID
        self.referenceTimestamp = referenceTimestamp
        self.originTimestamp = originTimestamp
        self.receiveTimestamp = receiveTimestamp
        self.transmitTimestamp = transmitTimestamp
    }

    /// An SNTP v4 client request. Its transmit timestamp is `cookie`, not the clock: the server
    /// copies it into the reply's origin, which ties the reply to this request without telling
    /// anyone our clock (RFC 9109's advice), while T1 is taken on the event loop at the send.
    public static func clientRequest(cookie: UInt64) -> NTPPacket {
        NTPPacket(mode: 3, transmitTimestamp: NTPTimestamp(bits: cookie))
    }

    public var encoded: [UInt8] {
        var bytes: [UInt8] = [
            leapIndicator << 6 | (version & 0x7) << 3 | (mode & 0x7), stratum, UInt8(bitPattern: poll), UInt8(bitPattern: precision),
        ]
        bytes.reserveCapacity(Self.size)
        for word in [rootDelay, rootDispersion, referenceID] { bytes.appendBigEndian(word) }
        for stamp in [referenceTimestamp, originTimestamp, receiveTimestamp, transmitTimestamp] {
            bytes.appendBigEndian(stamp.seconds)
            bytes.appendBigEndian(stamp.fraction)
        }
        return bytes
    }

    /// Nil when the bytes are shorter than the header.
    public init?(decoding bytes: [UInt8]) {
        guard bytes.count >= Self.size else { return nil }
        func word(_ at: Int) -> UInt32 { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) } }
        func stamp(_ at: Int) -> NTPTimestamp { NTPTimestamp(seconds: word(at), fraction: word(at + 4)) }
        self.init(
            leapIndicator: bytes[0] >> 6, version: (bytes[0] >> 3) & 0x7, mode: bytes[0] & 0x7, stratum: bytes[1],
            poll: Int8(bitPattern: bytes[2]), precision: Int8(bitPattern: bytes[3]), rootDelay: word(4), rootDispersion: word(8),
            referenceID: word(12), referenceTimestamp: stamp(16), originTimestamp: stamp(24), receiveTimestamp: stamp(32),
            transmitTimestamp: stamp(40))
    }

    /// The reference id as RFC 5905 shows it: four ASCII characters at stratum 0 (the kiss code)
    /// and 1 (the reference clock), an IPv4 address above.
    public var referenceText: String {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: referenceID >> (24 - 8 * $0)) }
        if stratum <= 1 {
            return String(decoding: bytes.filter { $0 != 0 }, as: UTF8.self)
        }
        return bytes.map(String.init).joined(separator: ".")
    }
}

extension [UInt8] {
    mutating func appendBigEndian(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
}
