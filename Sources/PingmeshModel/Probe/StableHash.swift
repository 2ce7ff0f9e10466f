/// FNV-1a, 64 bit: a hash that is the same in every process and on every machine, unlike
/// `Hasher`, so probe phases and content versions agree across restarts and replicas.
public enum StableHash {
    public static func fnv1a64<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    public static func fnv1a64(_ text: String) -> UInt64 { fnv1a64(text.utf8) }

    /// FNV-1a through MurmurHash3's finaliser. FNV's high bits barely move when only the last
    /// characters differ (s1, s2, ...); the finaliser makes every input bit reach every output
    /// bit, so ranks and draws made from it are unbiased.
    public static func mixed(_ text: String) -> UInt64 {
        var z = fnv1a64(text)
        z = (z ^ (z >> 33)) &* 0xff51_afd7_ed55_8ccd
        z = (z ^ (z >> 33)) &* 0xc4ce_b9fe_1a85_ec53
        return z ^ (z >> 33)
    }

    /// A value in [0, 1), spread uniformly for any set of inputs.
    public static func uniform(_ text: String) -> Double {
        Double(mixed(text) >> 11) / Double(UInt64(1) << 53)
    }

    /// A hex rendering, used as a content version.
    public static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let value = fnv1a64(bytes)
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
