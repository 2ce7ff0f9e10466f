import Logging
import PingmeshModel

/// Opens the store a location names and prepares its schema.
public enum StoreFactory {
    public static func open(_ location: StoreLocation, logger: Logger) async throws -> any ResultStore {
        switch location {
        case .sqlite(let path):
            let store = try SQLiteResultStore(path: path)
            try await store.prepare()
            return store
        case .postgres(let url):
            let store = try PostgresResultStore(url: url, logger: logger)
            do {
                try await store.prepare()
            } catch {
                await store.shutdown()
                throw error
            }
            return store
        }
    }
}
