import PingmeshModel

/// The question section's one entry: the name, type and class asked about.
public struct DNSQuestion: Sendable, Hashable {
    /// Dot-separated, without the trailing dot (`www.example.com`; the root is empty).
    public var name: String
    public var type: UInt16
    /// 1, IN, for everything a probe asks.
    public var recordClass: UInt16

    public init(name: String, type: UInt16, recordClass: UInt16 = 1) {
        self.name = DNSName.normalized(name)
        self.type = type
        self.recordClass = recordClass
    }

    /// Whether a reply's question is ours: names compare case-insensitively (RFC 4343), and a
    /// server may echo a name in another case (0x20 randomisation).
    public func matches(_ other: DNSQuestion) -> Bool {
        type == other.type && recordClass == other.recordClass && name.lowercased() == other.name.lowercased()
    }
}

/// Spelling rules for names in this module.
enum DNSName {
    /// Without the trailing dot, so `example.com.` and `example.com` are one name.
    static func normalized(_ name: String) -> String {
        name.hasSuffix(".") ? String(name.dropLast()) : name
    }
}
