import Foundation

/// A range of HTTP statuses that pass validation, written `200`, `200-299` or `2xx`.
public struct HTTPStatusRange: Sendable, Hashable, CustomStringConvertible {
    public var lowest: Int
    public var highest: Int

    public init(_ lowest: Int, _ highest: Int) {
        self.lowest = lowest
        self.highest = highest
    }

    /// blackbox_exporter's default: any 2xx.
    public static let success = HTTPStatusRange(200, 299)

    public func contains(_ status: Int) -> Bool { (lowest...highest).contains(status) }

    public var description: String { lowest == highest ? "\(lowest)" : "\(lowest)-\(highest)" }

    /// `204`, `200-299` or `2xx` as a range within 100...599; nil when it is none of them.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed.count == 3, trimmed.hasSuffix("xx"), let hundreds = Int(trimmed.prefix(1)) {
            self.init(hundreds * 100, hundreds * 100 + 99)
        } else if let dash = trimmed.firstIndex(of: "-") {
            guard let low = Int(trimmed[..<dash]), let high = Int(trimmed[trimmed.index(after: dash)...]) else { return nil }
            self.init(low, high)
        } else if let single = Int(trimmed) {
            self.init(single, single)
        } else {
            return nil
        }
        guard (100...599).contains(lowest), (100...599).contains(highest), lowest <= highest else { return nil }
    }
}

extension [HTTPStatusRange] {
    /// `[200-299, 304]`, for validation failures.
    public var listDescription: String { "[\(map(\.description).joined(separator: ", "))]" }
}
