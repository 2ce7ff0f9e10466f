/// The resource record types a DNS probe can ask for, with their wire codes (RFC 1035, 3596, 2782),
/// listed (and named in messages) most-asked first.
public enum DNSRecordType: UInt16, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case a = 1
    case aaaa = 28
    case cname = 5
    case srv = 33
    case txt = 16
    case ns = 2
    case mx = 15

    /// The mnemonic (`AAAA`), as zone files and pinglists write it.
    public var name: String {
        switch self {
        case .a: return "A"
        case .ns: return "NS"
        case .cname: return "CNAME"
        case .mx: return "MX"
        case .txt: return "TXT"
        case .aaaa: return "AAAA"
        case .srv: return "SRV"
        }
    }

    public var description: String { name }

    /// Reads a mnemonic case-insensitively (`aaaa` is `AAAA`).
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name == name.uppercased() }) else { return nil }
        self = match
    }

    /// The mnemonic of any type code, known here or not (`TYPE65` per RFC 3597).
    public static func name(of code: UInt16) -> String {
        DNSRecordType(rawValue: code)?.name ?? "TYPE\(code)"
    }
}
