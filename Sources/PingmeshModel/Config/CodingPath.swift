/// Renders a Codable coding path as an operator reads it: `groups[2].targets[0].port`.
public func renderCodingPath(_ path: [any CodingKey]) -> String {
    var text = ""
    for key in path {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
        }
    }
    return text
}

/// A coding key for any string, used to see every key present in a mapping.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

extension Decoder {
    /// Fails on any key that `Keys` does not name: a misspelt field must not be silently ignored.
    func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_: Keys.Type) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        let known = Set(Keys.allCases.map(\.stringValue))
        for key in container.allKeys where !known.contains(key.stringValue) {
            let expected = Keys.allCases.map(\.stringValue).sorted().joined(separator: ", ")
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: codingPath + [key],
                    debugDescription: "unknown field (expected one of: \(expected))"
                )
            )
        }
    }
}

extension DecodingError {
    /// The same failure as a `ConfigIssue`, with the path rendered and the reason in plain words.
    var configIssue: ConfigIssue {
        switch self {
        case .typeMismatch(let type, let context):
            return ConfigIssue(path: renderCodingPath(context.codingPath), reason: "expected \(describe(type))")
        case .valueNotFound(let type, let context):
            return ConfigIssue(path: renderCodingPath(context.codingPath), reason: "expected \(describe(type)) but found null")
        case .keyNotFound(let key, let context):
            return ConfigIssue(path: renderCodingPath(context.codingPath + [key]), reason: "required field is missing")
        case .dataCorrupted(let context):
            var reason = context.debugDescription
            if let underlying = context.underlyingError { reason += " (\(underlying))" }
            return ConfigIssue(path: renderCodingPath(context.codingPath), reason: reason)
        @unknown default:
            return ConfigIssue(path: "", reason: "\(self)")
        }
    }

    private func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is UInt16.Type: return "an integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") || name.contains("Sequence") { return "a list" }
            if name.hasPrefix("Dictionary") || name.contains("Mapping") { return "a mapping" }
            return name
        }
    }
}
