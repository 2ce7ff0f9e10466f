import Foundation
import PingmeshCollector

/// A SQLite store in a fresh temporary directory.
enum TemporaryStore {
    static func path() -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-collector-\(UUID().uuidString)")
        return directory.appendingPathComponent("results.db").path
    }

    static func sqlite(at path: String = TemporaryStore.path()) async throws -> SQLiteResultStore {
        let store = try SQLiteResultStore(path: path)
        try await store.prepare()
        return store
    }
}
