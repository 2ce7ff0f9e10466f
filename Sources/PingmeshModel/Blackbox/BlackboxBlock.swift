/// One mapping of a blackbox_exporter module, read leniently: fields are taken by name, and the
/// ones nobody read are reported rather than rejected (blackbox configurations carry many
/// fields that only tune its own client).
final class BlackboxBlock {
    private let container: KeyedDecodingContainer<AnyCodingKey>
    private var read: Set<String> = []

    init(_ container: KeyedDecodingContainer<AnyCodingKey>) {
        self.container = container
    }

    /// Whether the field is present; it counts as read.
    func has(_ key: String) -> Bool {
        read.insert(key)
        return container.contains(AnyCodingKey(stringValue: key))
    }

    func value<T: Decodable>(_ type: T.Type, _ key: String) throws -> T? {
        read.insert(key)
        return try container.decodeIfPresent(T.self, forKey: AnyCodingKey(stringValue: key))
    }

    func required<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
        guard let value = try value(type, key) else { throw Self.invalid(self, key, "required") }
        return value
    }

    func nested(_ key: String) throws -> BlackboxBlock? {
        guard has(key) else { return nil }
        return BlackboxBlock(try container.nestedContainer(keyedBy: AnyCodingKey.self, forKey: AnyCodingKey(stringValue: key)))
    }

    /// Fields present that nothing read, other than `except`, in name order.
    func unread(except: [String]) -> [String] {
        container.allKeys.map(\.stringValue).filter { !read.contains($0) && !except.contains($0) }.sorted()
    }

    /// A decoding error at `key` of `block`, rendered as `modules.x.http.key: reason`.
    static func invalid(_ block: BlackboxBlock, _ key: String, _ reason: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: block.container.codingPath + [AnyCodingKey(stringValue: key)], debugDescription: reason))
    }
}
