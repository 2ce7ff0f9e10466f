import Foundation
import GRDB

/// What replicas share beside the rows: named documents (the incident tracker's state) and
/// leases (who runs the rollup and analysis). One collector on SQLite holds its lease alone;
/// several processes on one file share it as they share the rows.
extension SQLiteResultStore {
    public func saveState(_ name: String, value: [UInt8]) async throws -> Int64 {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO collector_state (name, version, value) VALUES (?, 1, ?)
                    ON CONFLICT (name) DO UPDATE SET version = collector_state.version + 1, value = excluded.value
                    """,
                arguments: [name, Data(value)])
            return try Int64.fetchOne(db, sql: "SELECT version FROM collector_state WHERE name = ?", arguments: [name]) ?? 0
        }
    }

    public func loadState(_ name: String, newerThan version: Int64?) async throws -> StoredState? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT version, value FROM collector_state WHERE name = ? AND version > ?", arguments: [name, version ?? Int64.min])
            else { return nil }
            let value: Data = row["value"]
            return StoredState(value: [UInt8](value), version: row["version"])
        }
    }

    public func acquireLease(_ name: String, holder: String, now: Int64, seconds: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO collector_leases (name, holder, expires_at) VALUES (?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                    WHERE collector_leases.holder = excluded.holder OR collector_leases.expires_at <= ?
                    """,
                arguments: [name, holder, now + seconds, now])
            return try String.fetchOne(db, sql: "SELECT holder FROM collector_leases WHERE name = ?", arguments: [name]) == holder
        }
    }

    public func releaseLease(_ name: String, holder: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM collector_leases WHERE name = ? AND holder = ?", arguments: [name, holder])
        }
    }
}
