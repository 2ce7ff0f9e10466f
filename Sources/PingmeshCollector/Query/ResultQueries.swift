import Foundation
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
        let compact = try await store.compactAggregates(level: level, resolution: resolution, from: resolution.windowStart(from), to: to)
        // A cell of one row (one window, one kind: the common case) reads its percentile from
        // the encoded bytes; only cells of several rows decode and merge sketches.
        let builder = MatrixBuilder(compact, kind: kind)
        let columns = builder.destinations.count
        // Cells in chunks, one task each, so every core reads percentiles.
        let chunkCount = builder.cells.count < 20_000 ? 1 : min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
        let chunkSize = (builder.cells.count + chunkCount - 1) / max(chunkCount, 1)
        let chunks = try await withThrowingTaskGroup(of: (Int, [Matrix.Cell]).self) { group in
            for chunk in 0..<chunkCount {
                group.addTask {
                    var cells: [Matrix.Cell] = []
                    let range = min(chunk * chunkSize, builder.cells.count)..<min((chunk + 1) * chunkSize, builder.cells.count)
                    cells.reserveCapacity(range.count)
                    try compact.sketchBytes.withUnsafeBufferPointer { sketches in
                        for cell in builder.cells[range] {
                            cells.append(
                                Matrix.Cell(
                                    source: cell.slot / columns, destination: cell.slot % columns,
                                    value: try self.value(of: cell, statistic: statistic, in: compact, sketches: sketches, builder: builder),
                                    probes: cell.counts.total, failed: cell.counts.failed, synRetransmits: cell.counts.synRetransmits))
                        }
                    }
                    return (chunk, cells)
                }
            }
            var chunks = [[Matrix.Cell]](repeating: [], count: chunkCount)
            for try await (chunk, cells) in group { chunks[chunk] = cells }
            return chunks
        }
        let cells = Array(chunks.joined())
        return Matrix(
            level: level, statistic: statistic, resolution: resolution, from: from, to: to,
            sources: builder.sources.map { compact.names[$0] ?? "#\($0)" }, destinations: builder.destinations.map { compact.names[$0] ?? "#\($0)" },
            cells: cells)
    }

    private func value(
        of cell: MatrixBuilder.Cell, statistic: Statistic, in compact: CompactAggregates, sketches: UnsafeBufferPointer<UInt8>,
        builder: MatrixBuilder
    ) throws -> Double? {
        guard let quantile = statistic.quantile else { return statistic.value(of: cell.counts, rtt: LatencySketch()) }
        if cell.extra < 0 {
            let row = compact.rows[cell.firstRow]
            return LatencySketch.quantileMicroseconds(
                encoded: sketches, range: row.sketch, quantile: quantile, expectedCount: row.counts.answered)
                .map { Double($0) / 1e6 }
        }
        var merged = try compact.sketch(of: compact.rows[cell.firstRow])
        for at in builder.moreRows(of: cell) { merged.merge(try compact.sketch(of: compact.rows[at])) }
        return statistic.value(of: cell.counts, rtt: merged)
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
                window: window, probes: counts.total, failed: counts.failed, synRetransmits: counts.synRetransmits, loss: counts.lossRatio, p50: rtt.quantileSeconds(0.5),
                p90: rtt.quantileSeconds(0.9), p99: rtt.quantileSeconds(0.99), p999: rtt.quantileSeconds(0.999),
                max: rtt.maximumMicroseconds.map { Double($0) / 1e6 }, jitter: counts.jitterSeconds)
        }
        return Series(level: level, resolution: resolution, source: source, destination: destination, points: points)
    }
}
