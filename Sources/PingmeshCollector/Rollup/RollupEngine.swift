import Logging
import PingmeshModel

/// Keeps the rollups current: a dirty minute window (new or late server-pair rows) is grouped
/// into ToR, pod, podset and DC pairs; a dirty 10 min, 1 h or 1 day window is merged from the
/// next finer resolution at every level. Each step replaces its window's rows whole, so running
/// it twice, or on two collector replicas, gives the same rows.
public struct RollupEngine: Sendable {
    public let store: any ResultStore
    private let logger: Logger

    public init(store: any ResultStore, logger: Logger = Logger(label: "pingmesh.collector.rollup")) {
        self.store = store
        self.logger = logger
    }

    /// What one pass did.
    public struct Report: Sendable, Hashable {
        public var windows = 0
        public var rowsWritten = 0
    }

    /// How long after its end a window of `resolution` waits before it is rolled up: agents
    /// upload a window a few seconds after it closes, and a coarse window recomputed on every
    /// new minute would read its whole span again and again. Data arriving later marks the
    /// window dirty again and it is recomputed once more, so nothing is lost by waiting.
    public static func settle(_ resolution: Resolution) -> Int64 {
        resolution == .minute ? 20 : 60
    }

    /// Rolls up every dirty window that has settled (all of them when `now` is nil), finest
    /// first, so a change flows up to the day in one pass once the coarser windows close.
    @discardableResult
    public func runOnce(now: Int64? = nil, limitPerResolution: Int = 1000) async throws -> Report {
        var report = Report()
        var placements: [String: [String: String]]?
        for resolution in Resolution.allCases {
            for dirty in try await store.dirtyWindows(resolution: resolution, limit: limitPerResolution) {
                if let now, dirty.window + resolution.seconds + Self.settle(resolution) > now { continue }
                if resolution == .minute {
                    if placements == nil { placements = try await store.placements() }
                    report.rowsWritten += try await groupMinute(dirty.window, placements: placements ?? [:])
                } else {
                    report.rowsWritten += try await merge(resolution, window: dirty.window)
                }
                if let coarser = resolution.coarser {
                    try await store.markDirty(resolution: coarser, windows: [coarser.windowStart(dirty.window)])
                }
                try await store.clearDirty(resolution: resolution, dirty)
                report.windows += 1
            }
        }
        return report
    }

    /// Groups one minute of server pairs into pairs of every higher level.
    private func groupMinute(_ window: Int64, placements: [String: [String: String]]) async throws -> Int {
        let servers = try await store.aggregates(level: .server, resolution: .minute, from: window, to: window + 60)
        var written = 0
        for level in TopologyLevel.allCases where level != .server {
            let rows = Self.group(servers, into: level, placements: placements)
            try await store.replaceAggregates(level: level, resolution: .minute, window: window, with: rows)
            written += rows.count
        }
        return written
    }

    /// Whether `level` is kept at `resolution`. Server pairs skip the 10 min rollup: beyond the
    /// 2 days of minutes they are kept hourly, which keeps what outlives the minutes under a
    /// byte per probe while ToR pairs and above keep their 10 min history.
    public static func keeps(_ level: TopologyLevel, at resolution: Resolution) -> Bool {
        !(level == .server && resolution == .tenMinutes)
    }

    /// The resolution a level's rows at `resolution` are merged from: the next finer one it keeps.
    static func source(of level: TopologyLevel, at resolution: Resolution) -> Resolution? {
        var candidate = Resolution.allCases.first { $0.coarser == resolution }
        while let finer = candidate, !keeps(level, at: finer) {
            candidate = Resolution.allCases.first { $0.coarser == finer }
        }
        return candidate
    }

    /// Merges the finer rows inside one window of `resolution`, level by level.
    private func merge(_ resolution: Resolution, window: Int64) async throws -> Int {
        var written = 0
        for level in TopologyLevel.allCases where Self.keeps(level, at: resolution) {
            guard let finer = Self.source(of: level, at: resolution) else { continue }
            let parts = try await store.aggregates(level: level, resolution: finer, from: window, to: window + resolution.seconds)
            var merged: [PairAggregate.Key: PairAggregate] = [:]
            for part in parts {
                var row = part
                row.resolution = resolution
                row.window = window
                merged[row.key, default: PairAggregate(
                    level: level, resolution: resolution, window: window, source: row.source, destination: row.destination, kind: row.kind,
                    counts: ResultCounts(), rtt: LatencySketch())].merge(row)
            }
            let rows = Array(merged.values)
            try await store.replaceAggregates(level: level, resolution: resolution, window: window, with: rows)
            written += rows.count
        }
        return written
    }

    /// Server-pair rows grouped by the placement of both ends at `level`. A server the collector
    /// cannot place yet is grouped under "unplaced" rather than dropped.
    static func group(_ rows: [PairAggregate], into level: TopologyLevel, placements: [String: [String: String]]) -> [PairAggregate] {
        var grouped: [PairAggregate.Key: PairAggregate] = [:]
        for row in rows {
            let source = Self.component(of: row.source, at: level, placements: placements)
            let destination = Self.component(of: row.destination, at: level, placements: placements)
            var copy = row
            copy.level = level
            copy.source = source
            copy.destination = destination
            if grouped[copy.key] == nil {
                grouped[copy.key] = copy
            } else {
                grouped[copy.key]!.merge(copy)
            }
        }
        return Array(grouped.values)
    }

    /// The name of the component at `level` that holds `server`.
    public static func component(of server: String, at level: TopologyLevel, placements: [String: [String: String]]) -> String {
        guard let label = level.label else { return server }
        let place = placements[server] ?? [:]
        switch level {
        case .pod: return place["pod"] ?? place["tor"] ?? "unplaced"
        case .tor: return place["tor"] ?? place["pod"] ?? "unplaced"
        default: return place[label] ?? "unplaced"
        }
    }
}
