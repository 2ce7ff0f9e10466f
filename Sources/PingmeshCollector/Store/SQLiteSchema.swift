import GRDB

/// The SQLite schema, created idempotently at every start. Windows are stored as Unix minutes
/// (four bytes for millennia), levels, resolutions and kinds as small codes.
enum SQLiteSchema {
    /// `PRAGMA user_version`: 2 since sketches are bit-packed (`LatencySketch.encoded()`), 3 since
    /// the 1-minute server level is packed per source (`server_minutes`), 4 since `pairs` counts
    /// the `unresolved` class, 5 since it counts `retransmitted` probes and `syn_retransmits`,
    /// 6 since it keeps the jitter (`jitter_pairs`, `jitter_ns`), 7 since it keeps the incident
    /// tracker's state and the analysis lease (`collector_state`, `collector_leases`).
    static let version = 7

    static let statements = [
        "PRAGMA journal_mode = WAL",
        "CREATE TABLE IF NOT EXISTS names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
        "CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, agent TEXT NOT NULL, received_at INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS batches_received ON batches(received_at)",
        """
        CREATE TABLE IF NOT EXISTS pairs (
          resolution INTEGER NOT NULL, level INTEGER NOT NULL, minute INTEGER NOT NULL, src INTEGER NOT NULL, dst INTEGER NOT NULL,
          kind INTEGER NOT NULL, ok INTEGER NOT NULL, slow INTEGER NOT NULL, timeout INTEGER NOT NULL, refused INTEGER NOT NULL,
          unreachable INTEGER NOT NULL, error INTEGER NOT NULL, rtt BLOB, unresolved INTEGER NOT NULL DEFAULT 0,
          retransmitted INTEGER NOT NULL DEFAULT 0, syn_retransmits INTEGER NOT NULL DEFAULT 0,
          jitter_pairs INTEGER NOT NULL DEFAULT 0, jitter_ns INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (resolution, level, minute, src, dst, kind)) WITHOUT ROWID
        """,
        """
        CREATE TABLE IF NOT EXISTS failures (
          id INTEGER PRIMARY KEY, at INTEGER NOT NULL, src INTEGER NOT NULL, dst INTEGER NOT NULL, target TEXT NOT NULL,
          kind INTEGER NOT NULL, result TEXT NOT NULL, rtt_ns INTEGER, source_port INTEGER, detail TEXT)
        """,
        "CREATE INDEX IF NOT EXISTS failures_at ON failures(at)",
        "CREATE INDEX IF NOT EXISTS failures_src ON failures(src, at)",
        "CREATE INDEX IF NOT EXISTS failures_dst ON failures(dst, at)",
        """
        CREATE TABLE IF NOT EXISTS ports (
          minute INTEGER NOT NULL, src INTEGER NOT NULL, dst INTEGER NOT NULL, port INTEGER NOT NULL, sent INTEGER NOT NULL,
          failed INTEGER NOT NULL, PRIMARY KEY (minute, src, dst, port)) WITHOUT ROWID
        """,
        SQLiteResultStore.serverMinutesTable,
        "CREATE TABLE IF NOT EXISTS placements (name TEXT PRIMARY KEY, labels TEXT NOT NULL, updated_at INTEGER NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS agents (
          name TEXT PRIMARY KEY, version TEXT, pinglist_version TEXT, labels TEXT NOT NULL, last_upload INTEGER NOT NULL,
          last_batch_created INTEGER NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS dirty (
          resolution INTEGER NOT NULL, minute INTEGER NOT NULL, generation INTEGER NOT NULL, PRIMARY KEY (resolution, minute)) WITHOUT ROWID
        """,
        "CREATE TABLE IF NOT EXISTS collector_state (name TEXT PRIMARY KEY, version INTEGER NOT NULL, value BLOB NOT NULL)",
        "CREATE TABLE IF NOT EXISTS collector_leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL)",
    ]

    /// Schemas 4 to 6: a store whose `pairs` table lacks the `unresolved`, `retransmitted` and
    /// `syn_retransmits` or jitter columns gets them, 0 in every row it holds (its rows counted
    /// none of them).
    /// Last in the table, in order, where ALTER TABLE puts them, which is also where a new store's
    /// CREATE TABLE has them, so both layouts are the same.
    static func addLaterCountColumns(_ db: Database) throws {
        let present = Set(try db.columns(in: "pairs").map(\.name))
        for column in ["unresolved", "retransmitted", "syn_retransmits", "jitter_pairs", "jitter_ns"] where !present.contains(column) {
            try db.execute(sql: "ALTER TABLE pairs ADD COLUMN \(column) INTEGER NOT NULL DEFAULT 0")
        }
    }
}
