import Foundation

/// Label maps as JSON text, with sorted keys so equal maps compare equal in SQL.
enum LabelsJSON {
    static func encode(_ labels: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(labels), as: UTF8.self)
    }

    static func decode(_ text: String?) -> [String: String] {
        guard let text, let labels = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else { return [:] }
        return labels
    }
}
