import PingmeshModel

/// Labels that place a server in the topology (the topology's own, less its name); the
/// collector keeps these per server.
enum PlacementLabels {
    static let keys = TopologyFile.placementLabels.subtracting(["name"])

    static func of(_ labels: [String: String]) -> [String: String] {
        labels.filter { keys.contains($0.key) }
    }
}

extension IngestBatch {
    /// The store's view of a validated batch: summaries become server-pair minute rows (windows
    /// shorter than a minute merge into their minute), failures and ports are attributed to the
    /// agent as source, and every placement the batch reveals is kept.
    public init(_ batch: ResultBatch, receivedAt: Int64) {
        var rows: [PairAggregate.Key: PairAggregate] = [:]
        var ports: [PortRow] = []
        var placements: [String: [String: String]] = [:]
        for summary in batch.windows {
            let minute = Resolution.minute.windowStart(summary.start)
            let row = PairAggregate(
                level: .server, resolution: .minute, window: minute, source: batch.agent, destination: summary.name, kind: summary.kind,
                counts: summary.counts, rtt: summary.rtt)
            if rows[row.key] == nil { rows[row.key] = row } else { rows[row.key]!.merge(row) }
            for port in summary.ports {
                ports.append(
                    PortRow(window: minute, source: batch.agent, destination: summary.name, port: port.port, sent: port.sent, failed: port.failed))
            }
            let place = PlacementLabels.of(summary.labels)
            if !place.isEmpty { placements[summary.name] = place }
        }
        let own = PlacementLabels.of(batch.labels)
        if !own.isEmpty { placements[batch.agent] = own }
        let failures = batch.failures.map { failure in
            StoredFailure(
                source: batch.agent, destination: failure.name, target: failure.target, kind: failure.kind, result: failure.result, at: failure.at,
                rttNanoseconds: failure.rttNanoseconds, sourcePort: failure.sourcePort, detail: failure.detail)
        }
        self.init(
            id: batch.id,
            agent: AgentRecord(
                name: batch.agent, version: batch.agentVersion, pinglistVersion: batch.pinglistVersion, labels: batch.labels,
                lastUpload: receivedAt, lastBatchCreated: batch.createdAt),
            rows: rows.values.sorted { ($0.window, $0.destination, $0.kind.code) < ($1.window, $1.destination, $1.kind.code) },
            failures: failures, ports: ports, placements: placements)
    }
}
