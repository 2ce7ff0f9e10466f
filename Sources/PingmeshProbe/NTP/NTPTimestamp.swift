/// NTP's 64-bit timestamp (RFC 5905 6): seconds since 1900-01-01 and a binary fraction.
public struct NTPTimestamp: Sendable, Hashable {
    public var seconds: UInt32
    public var fraction: UInt32

    public init(seconds: UInt32, fraction: UInt32) {
        self.seconds = seconds
        self.fraction = fraction
    }

    public init(bits: UInt64) {
        self.init(seconds: UInt32(bits >> 32), fraction: UInt32(bits & 0xffff_ffff))
    }

    public var bits: UInt64 { UInt64(seconds) << 32 | UInt64(fraction) }

    public var isZero: Bool { bits == 0 }

    /// Seconds from 1900 (NTP's epoch) to 1970 (Unix's).
    static let unixEpochOffset: Int64 = 2_208_988_800

    /// The time since the Unix epoch. Era 0 ends in February 2036; a seconds field below 2^31
    /// is read as era 1 (after that date), as RFC 4330 3 suggests, so the probe keeps working then.
    public var sinceUnixEpoch: Duration {
        let era: Int64 = seconds & 0x8000_0000 == 0 ? 1 << 32 : 0
        let whole = Int64(seconds) + era - Self.unixEpochOffset
        let nanoseconds = (Int64(fraction) * 1_000_000_000) >> 32
        return .seconds(whole) + .nanoseconds(nanoseconds)
    }

    /// The timestamp of a time since the Unix epoch (wrapping into the current era).
    public init(sinceUnixEpoch time: Duration) {
        let (whole, attoseconds) = time.components
        let fractionBits = (UInt64(max(attoseconds, 0) / 1_000_000_000) << 32) / 1_000_000_000
        self.init(seconds: UInt32(truncatingIfNeeded: whole + Self.unixEpochOffset), fraction: UInt32(truncatingIfNeeded: fractionBits))
    }
}
