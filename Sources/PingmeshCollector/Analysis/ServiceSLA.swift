import PingmeshModel

/// A user-defined service for SLA tracking: the servers a label selector picks (over their
/// placement and their agents' own labels, plus `name`), judged on every probe sent to them, as
/// their clients would see the network. Server pairs are kept at 1 min and 1 h (and 1 d), not
/// 10 min, so a 10 min request reads the minutes.
enum ServiceSLA {
    /// The resolution server-pair rows exist at for a requested one.
    static func serverResolution(_ requested: Resolution) -> Resolution { requested == .tenMinutes ? .minute : requested }

    /// The server-pair rows whose destination the selector picks, relabelled as one component
    /// named `name`, ready for `SLAReport`.
    static func rows(
        store: any ResultStore, selector: LabelSelector, name: String, resolution: Resolution, from: Int64, to: Int64
    ) async throws -> [PairAggregate] {
        var labels = try await store.placements()
        for agent in try await store.agents() { labels[agent.name, default: [:]].merge(agent.labels) { placed, _ in placed } }
        let members = Set(labels.filter { server, labels in selector.matches(labels.merging(["name": server]) { own, _ in own }) }.keys)
        guard !members.isEmpty else { return [] }
        return try await store.aggregates(level: .server, resolution: resolution, from: from, to: to)
            .filter { members.contains($0.destination) }
            .map { row in
                var row = row
                (row.source, row.destination) = (name, name)
                return row
            }
    }
}
