import Foundation
import PingmeshModel
import Synchronization

/// One computed plan and what is served from it. Immutable but for a cache of each agent's
/// list version, filled on first request, so a pull that changed nothing (If-None-Match) is
/// answered with a dictionary lookup.
public final class PlanSnapshot: Sendable {
    public let plan: ProbePlan
    /// The merged topology the plan was computed from (file, registrations), for GET /v1/topology.
    public let topology: TopologyFile
    public let computedAt: Date
    public let computeSeconds: Double
    private let versions = Mutex<[Int: String]>([:])

    init(plan: ProbePlan, topology: TopologyFile, computedAt: Date, computeSeconds: Double) {
        self.plan = plan
        self.topology = topology
        self.computedAt = computedAt
        self.computeSeconds = computeSeconds
    }

    /// The agent's list as served: canonical JSON and its version (the ETag).
    public func pinglist(for agent: String) -> (body: Data, version: String)? {
        guard let index = plan.topology.serverIndex[agent] else { return nil }
        let file = plan.pinglistFile(for: index)
        let version = file.version ?? ""
        versions.withLock { $0[index] = version }
        return (ProbePlan.encode(file), version)
    }

    /// The version of the agent's list, computing the list only the first time.
    public func version(for agent: String) -> String? {
        guard let index = plan.topology.serverIndex[agent] else { return nil }
        if let known = versions.withLock({ $0[index] }) { return known }
        return pinglist(for: agent)?.version
    }
}
