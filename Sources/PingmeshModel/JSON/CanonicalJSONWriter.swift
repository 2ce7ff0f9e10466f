/// Writes JSON whose keys the caller gives in sorted order, straight into bytes.
///
/// The controller serves every agent's pinglist as canonical JSON and versions it by the hash
/// of those bytes, so the bytes must be the same in every replica and every release. Foundation's
/// JSONEncoder promises neither, and with `.sortedKeys` it spends most of a 1,300-target list's
/// time boxing and sorting keys (about 14 ms a list at 100,000 servers, against a 10 ms budget
/// for building and serialising one). The structures written here are few and fixed, so each
/// writes its own fields in sorted order and only label maps are sorted at run time.
public struct CanonicalJSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// One entry per open object or array: whether the next member needs a comma before it.
    private var hasMembers: [Bool] = []
    /// A key was just written, so the next value is its value, not a new array element.
    private var afterKey = false

    public init(reservingCapacity capacity: Int = 4096) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Starts the member `key` of the open object; the value follows.
    public mutating func key(_ key: String) {
        separate()
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    public mutating func string(_ value: String) {
        separateIfInArray()
        writeString(value)
    }

    public mutating func int(_ value: Int) {
        separateIfInArray()
        bytes.append(contentsOf: String(value).utf8)
    }

    /// `"key":"value"`, or nothing when the value is absent (as JSONEncoder skips nil optionals).
    public mutating func field(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        afterKey = false
        writeString(value)
    }

    public mutating func field(_ name: String, _ value: Int?) {
        guard let value else { return }
        key(name)
        afterKey = false
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func field(_ name: String, _ value: Bool?) {
        guard let value else { return }
        key(name)
        afterKey = false
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// A string map with its keys in UTF-8 byte order.
    public mutating func field(_ name: String, _ map: [String: String]?) {
        guard let map else { return }
        key(name)
        beginObject()
        for (mapKey, value) in map.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            field(mapKey, value)
        }
        endObject()
    }

    // MARK: - Structure

    private mutating func open(_ bracket: UInt8) {
        separateIfInArray()
        bytes.append(bracket)
        hasMembers.append(false)
    }

    private mutating func close(_ bracket: UInt8) {
        hasMembers.removeLast()
        bytes.append(bracket)
    }

    private mutating func separate() {
        guard !hasMembers.isEmpty else { return }
        if hasMembers[hasMembers.count - 1] { bytes.append(UInt8(ascii: ",")) }
        hasMembers[hasMembers.count - 1] = true
    }

    /// Array elements are separated here; object members were separated by their key.
    private mutating func separateIfInArray() {
        if afterKey {
            afterKey = false
        } else {
            separate()
        }
    }

    // MARK: - Strings

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// JSON string escaping as JSONEncoder does it with `.withoutEscapingSlashes`: quote,
    /// backslash and control characters; everything else is copied as UTF-8.
    private mutating func writeString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x00..<0x20:
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
