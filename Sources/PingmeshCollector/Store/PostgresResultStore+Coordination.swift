import NIOCore
import PostgresNIO

/// Named documents and leases, shared by every replica on the database. A lease is taken or
/// renewed by one atomic upsert: it changes hands only when it has expired.
extension PostgresResultStore {
    public func saveState(_ name: String, value: [UInt8]) async throws -> Int64 {
        try await writing { connection, logger in
            try await connection.single(
                """
                INSERT INTO collector_state (name, version, value) VALUES (\(name), 1, \(ByteBuffer(bytes: value)))
                ON CONFLICT (name) DO UPDATE SET version = collector_state.version + 1, value = excluded.value
                RETURNING version
                """, as: Int64.self, logger: logger) ?? 0
        }
    }

    public func loadState(_ name: String, newerThan version: Int64?) async throws -> StoredState? {
        try await reading { connection, logger in
            let rows = try await connection.query(
                "SELECT version, value FROM collector_state WHERE name = \(name) AND version > \(version ?? Int64.min)", logger: logger)
            for try await (version, value) in rows.decode((Int64, ByteBuffer).self) {
                return StoredState(value: Array(value.readableBytesView), version: version)
            }
            return nil
        }
    }

    public func acquireLease(_ name: String, holder: String, now: Int64, seconds: Int64) async throws -> Bool {
        try await writing { connection, logger in
            let taken = try await connection.single(
                """
                INSERT INTO collector_leases (name, holder, expires_at) VALUES (\(name), \(holder), \(now + seconds))
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE collector_leases.holder = excluded.holder OR collector_leases.expires_at <= \(now)
                RETURNING holder
                """, as: String.self, logger: logger)
            return taken == holder
        }
    }

    public func releaseLease(_ name: String, holder: String) async throws {
        try await writing { connection, logger in
            _ = try await connection.query("DELETE FROM collector_leases WHERE name = \(name) AND holder = \(holder)", logger: logger)
        }
    }
}
