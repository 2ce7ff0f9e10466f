import PingmeshModel

/// The read side of the collector: matrices, pair series, failures and agents, computed from the
/// store's rows by merging sketches, so every figure is exact to the histogram's precision.
public struct ResultQueries: Sendable {
    public let store: any ResultStore

    public init(store: any ResultStore) {
        self.store = store
    }

    /// The resolution that answers a range with a bounded number of windows.
    public static func resolution(for from: Int64, to: Int64) -> Resolution {
        let span = to - from
        if span <= 6 * 3600 { return .minute }
        if span <= 3 * 86_400 { return .tenMinutes }
        if span <= 60 * 86_400 { return .hour }
        return .day
    }

    /// The latency or loss matrix of `level` over `from..<to` (Unix seconds).
    public func matrix(
        level: TopologyLevel, statistic: Statistic, from: Int64, to: Int64, resolution: Resolution? = nil, kind: ProbeKind? = nil
    ) async throws -> Matrix {
        let resolution = resolution ?? Self.resolution(for: from, to: to)
        let rows = try await store.aggregates(
            level: level, resolution: resolution, from: resolution.windowStart(from), to: to)
        // Cells accumulate in arrays indexed through one dictionary lookup per row; most cells
        // hold a single row (one window), which is then used as it is, without a merge.
        var index: [PairKey: Int] = [:]
        index.reserveCapacity(rows.count)
        var keys: [PairKey] = []
        var counts: [ResultCounts] = []
        var sketches: [LatencySketch] = []
        let needsLatency = statistic.quantile != nil
        for row in rows where kind == nil || row.kind == kind {
            let key = PairKey(source: row.source, destination: row.destination)
            if let at = index[key] {
                counts[at].add(row.counts)
                if needsLatency { sketches[at].merge(row.rtt) }
            } else {
                index[key] = keys.count
                keys.append(key)
                counts.append(row.counts)
                sketches.append(needsLatency ? row.rtt : LatencySketch())
            }
        }
        let sources = Set(keys.map(\.source)).sorted()
        let destinations = Set(keys.map(\.destination)).sorted()
        let sourceIndex = Dictionary(uniqueKeysWithValues: sources.enumerated().map { ($1, $0) })
        let destinationIndex = Dictionary(uniqueKeysWithValues: destinations.enumerated().map { ($1, $0) })
        var matrixCells: [Matrix.Cell] = []
        matrixCells.reserveCapacity(keys.count)
        for (at, key) in keys.enumerated() {
            matrixCells.append(
                Matrix.Cell(
                    source: sourceIndex[key.source]!, destination: destinationIndex[key.destination]!,
                    value: statistic.value(of: counts[at], rtt: sketches[at]), probes: counts[at].total, failed: counts[at].failed))
        }
        matrixCells.sort { ($0.source, $0.destination) < ($1.source, $1.destination) }
        return Matrix(
            level: level, statistic: statistic, resolution: resolution, from: from, to: to, sources: sources, destinations: destinations,
            cells: matrixCells)
    }

    /// One pair's statistics per window.
    public func series(
        level: TopologyLevel, source: String, destination: String, from: Int64, to: Int64, resolution: Resolution? = nil,
        kind: ProbeKind? = nil
    ) async throws -> Series {
        let resolution = resolution ?? Self.resolution(for: from, to: to)
        let rows = try await store.aggregates(level: level, resolution: resolution, from: resolution.windowStart(from), to: to)
        var windows: [Int64: (ResultCounts, LatencySketch)] = [:]
        for row in rows where row.source == source && row.destination == destination && (kind == nil || row.kind == kind) {
            var cell = windows[row.window] ?? (ResultCounts(), LatencySketch())
            cell.0.add(row.counts)
            cell.1.merge(row.rtt)
            windows[row.window] = cell
        }
        let points = windows.keys.sorted().map { window in
            let (counts, rtt) = windows[window]!
            return Series.Point(
                window: window, probes: counts.total, failed: counts.failed, loss: counts.lossRatio, p50: rtt.quantileSeconds(0.5),
                p90: rtt.quantileSeconds(0.9), p99: rtt.quantileSeconds(0.99), p999: rtt.quantileSeconds(0.999),
                max: rtt.maximumMicroseconds.map { Double($0) / 1e6 })
        }
        return Series(level: level, resolution: resolution, source: source, destination: destination, points: points)
    }

    struct PairKey: Hashable {
        var source: String
        var destination: String
    }
}
