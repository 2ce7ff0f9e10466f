import PingmeshModel

/// One resource record of a reply's answer, authority or additional section.
public struct DNSResourceRecord: Sendable, Hashable {
    public var name: String
    public var type: UInt16
    public var recordClass: UInt16
    public var ttl: UInt32
    public var data: DNSRecordData

    public init(name: String, type: UInt16, recordClass: UInt16 = 1, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }
}

/// A record's data, decoded for the types a probe asks about and kept raw for the rest.
public enum DNSRecordData: Sendable, Hashable {
    case ipv4([UInt8])
    case ipv6([UInt8])
    /// CNAME and NS: one name.
    case name(String)
    case mx(preference: UInt16, exchange: String)
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: String)
    /// The character strings of a TXT record, each up to 255 bytes.
    case text([String])
    case other([UInt8])

    /// Zone-file presentation, which expected answers and regular expressions are matched
    /// against: `10.0.0.1`, `fd00::1`, `www.example.com.`, `10 mail.example.com.`,
    /// `1 2 8080 www.example.com.`, and a TXT record's strings joined without quotes.
    public var presentation: String {
        switch self {
        case .ipv4(let bytes): return bytes.map(String.init).joined(separator: ".")
        case .ipv6(let bytes): return IPv6Text.format(bytes)
        case .name(let name): return name + "."
        case .mx(let preference, let exchange): return "\(preference) \(exchange)."
        case .srv(let priority, let weight, let port, let target): return "\(priority) \(weight) \(port) \(target)."
        case .text(let strings): return strings.joined()
        case .other(let bytes): return "\\# \(bytes.count) " + bytes.map { String($0, radix: 16) }.joined()
        }
    }
}

/// RFC 5952 text for a 16-byte address (lower case, the longest run of zero groups as `::`).
enum IPv6Text {
    static func format(_ bytes: [UInt8]) -> String {
        guard bytes.count == 16 else { return "?" }
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var best: Range<Int>?
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index >= 2, end - index > (best?.count ?? 0) { best = index..<end }
            index = end
        }
        let hex = groups.map { String($0, radix: 16) }
        guard let run = best else { return hex.joined(separator: ":") }
        return hex[..<run.lowerBound].joined(separator: ":") + "::" + hex[run.upperBound...].joined(separator: ":")
    }
}
