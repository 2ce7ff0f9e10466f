import PingmeshModel

/// Where the collector keeps what agents send: SQLite (embedded default) or PostgreSQL (several
/// collector replicas on one database). Stores keep rows; merging, rollups and analysis live in
/// the collector, the same for both, so both stores pass the same test suite.
public protocol ResultStore: Sendable {
    /// Creates or migrates the schema; safe to call on every start and from several replicas.
    func prepare() async throws

    /// Stores a batch in one durable transaction: its server-pair minute rows (added to any row
    /// with the same key), failures, port counts, the agent's record, the placements it reveals,
    /// and the minute windows it touched as dirty for the rollup. Returns false, changing
    /// nothing, when a batch with this id was stored before.
    func ingest(_ batch: IngestBatch) async throws -> Bool

    /// Rows of one level and resolution with window start in `from..<to`.
    func aggregates(level: TopologyLevel, resolution: Resolution, from: Int64, to: Int64) async throws -> [PairAggregate]

    /// The same rows as `aggregates`, names as ids and sketches still encoded (see
    /// `CompactAggregates`), for queries over many rows.
    func compactAggregates(level: TopologyLevel, resolution: Resolution, from: Int64, to: Int64) async throws -> CompactAggregates

    /// Replaces every row of `level` and `resolution` at `window` with `rows` (a rollup result).
    func replaceAggregates(level: TopologyLevel, resolution: Resolution, window: Int64, with rows: [PairAggregate]) async throws

    /// Windows of `resolution` marked dirty, oldest first.
    func dirtyWindows(resolution: Resolution, limit: Int) async throws -> [DirtyWindow]

    /// Marks windows dirty (late data or a finer rollup changed them): each mark bumps the
    /// window's generation.
    func markDirty(resolution: Resolution, windows: [Int64]) async throws

    /// Clears a dirty mark, unless it was marked again since it was read (its generation moved).
    func clearDirty(resolution: Resolution, _ dirty: DirtyWindow) async throws

    /// Where each known server sits: name -> placement labels (dc, podset, pod, tor, region).
    func placements() async throws -> [String: [String: String]]

    /// Failure records matching `query`, newest first.
    func failures(_ query: FailureQuery) async throws -> [StoredFailure]

    /// Every agent that has uploaded, with its last upload.
    func agents() async throws -> [AgentRecord]

    /// The per-source-port counts of the one-minute window starting at `window` (ECMP paths:
    /// a black hole that hits only some ports shows here), by source, destination and port.
    func portRows(window: Int64) async throws -> [PortRow]

    /// Deletes rows older than the retention of each level; returns the rows deleted.
    func enforceRetention(_ retention: Retention, now: Int64) async throws -> Int

    /// Saves the document `name` (the incident tracker's state), replacing the last; returns
    /// its new version, which grows on every save.
    func saveState(_ name: String, value: [UInt8]) async throws -> Int64

    /// The document `name` when its version is above `version` (any version when nil); nil
    /// when there is none newer.
    func loadState(_ name: String, newerThan version: Int64?) async throws -> StoredState?

    /// Takes or renews the lease `name` for `holder` until `now + seconds` when it is free,
    /// expired or `holder`'s already; returns whether `holder` holds it now. Atomic across
    /// replicas: of two asking at once, one gets it.
    func acquireLease(_ name: String, holder: String, now: Int64, seconds: Int64) async throws -> Bool

    /// Gives up `holder`'s lease `name`; nothing when another holds it.
    func releaseLease(_ name: String, holder: String) async throws

    /// Bytes the store occupies (file size or database size).
    func sizeBytes() async throws -> Int64

    /// Releases connections; the collector calls it once it has stopped.
    func close() async
}

extension ResultStore {
    /// Nothing to release (SQLite closes with its last reference).
    public func close() async {}
}
