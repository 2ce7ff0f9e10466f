import PingmeshModel

extension WindowEvidence {
    /// The evidence of the one-minute window starting at `window`, from the store's server-pair
    /// rows and the placements agents reported. A server that reported rows this window counts
    /// as reporting; one known from placements without rows does not. Servers seen in rows but
    /// never placed join the fabric in an "unknown" group rather than being dropped.
    public static func load(
        from store: any ResultStore, window: Int64, shape: FabricDescription.Shape = .threeTier, latencyQuantile: Double = 0.99
    ) async throws -> WindowEvidence {
        let compact = try await store.compactAggregates(level: .server, resolution: .minute, from: window, to: window + 60)
        var placements = try await store.placements()
        for name in compact.names.values where placements[name] == nil { placements[name] = [:] }
        let fabric = FabricModel(placements: placements, shape: shape)
        var index: [Int64: Int32] = [:]
        for (id, name) in compact.names {
            if let at = fabric.serverIndex[name] { index[id] = at }
        }
        // Rows of one pair and several kinds (tcp and http, say) make one observation.
        var pairs: [PairKey: PairObservation] = [:]
        var reporting = [Bool](repeating: false, count: fabric.servers.count)
        for row in compact.rows {
            guard let source = index[row.source], let destination = index[row.destination], source != destination else { continue }
            reporting[Int(source)] = true
            let counts = row.counts
            let p99 =
                LatencySketch.quantileMicroseconds(
                    encoded: compact.sketchBytes, range: row.sketch, quantile: latencyQuantile, expectedCount: counts.answered) ?? 0
            let key = PairKey(source: source, destination: destination)
            var observation = pairs[key] ?? PairObservation(source: source, destination: destination, sent: 0, lost: 0)
            // An unresolved round sent nothing: it says nothing of the network between the pair.
            // A resent SYN is a packet sent and lost (Pingmesh's TCP loss), though its probe was
            // answered in the end.
            observation.sent &+= UInt32(clamping: counts.total - counts.unresolved + counts.synRetransmits)
            observation.lost &+= UInt32(clamping: counts.timeout + counts.unreachable + counts.synRetransmits)
            observation.p99Microseconds = max(observation.p99Microseconds, UInt32(clamping: p99))
            pairs[key] = observation
        }
        // A port bucket of a pair that lost every one of at least two probes is a black-holed
        // path (Pingmesh 5.1): the pair's other ports got through.
        for row in try await store.portRows(window: window) where row.sent >= 2 && row.failed == row.sent {
            guard let source = fabric.serverIndex[row.source], let destination = fabric.serverIndex[row.destination] else { continue }
            pairs[PairKey(source: source, destination: destination)]?.blackholedPorts += 1
        }
        let ordered = pairs.values.sorted { ($0.source, $0.destination) < ($1.source, $1.destination) }
        return WindowEvidence(fabric: fabric, reporting: reporting, pairs: ordered)
    }

    private struct PairKey: Hashable {
        var source: Int32
        var destination: Int32
    }
}
