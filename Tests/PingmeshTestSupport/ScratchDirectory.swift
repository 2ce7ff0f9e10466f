import Foundation

/// A fresh directory under the system's temporary directory for one test's files (logs, stores,
/// configuration); the caller removes it with `remove(_:)` in a defer.
public enum ScratchDirectory {
    public static func make(_ prefix: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    public static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
