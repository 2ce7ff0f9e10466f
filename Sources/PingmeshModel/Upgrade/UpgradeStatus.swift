/// `GET /v1/upgrade`: the rollout this controller replica runs, agent by agent.
public struct UpgradeStatus: Sendable, Hashable, Codable {
    public enum AgentState: String, Sendable, Hashable, Codable, CaseIterable {
        /// Runs another version (or, with force, has not been offered yet); waits for a slot.
        case pending
        /// Holds a wave slot: offered, not back with the new version yet.
        case upgrading
        /// Reports the announced version (after its offer, or from the start).
        case done
        /// Reported an install failure, or did not come back in time.
        case failed
    }

    public struct AgentEntry: Sendable, Hashable, Codable {
        public var name: String
        public var state: AgentState
        /// The version it last reported.
        public var version: String
        /// Whether it said it installs offers (`--self-upgrade`); agents that do not stay pending.
        public var selfUpgrade: Bool
        /// Unix seconds.
        public var offeredAt: Int64?
        public var finishedAt: Int64?
        public var error: String?

        public init(
            name: String, state: AgentState, version: String, selfUpgrade: Bool, offeredAt: Int64? = nil, finishedAt: Int64? = nil,
            error: String? = nil
        ) {
            self.name = name
            self.state = state
            self.version = version
            self.selfUpgrade = selfUpgrade
            self.offeredAt = offeredAt
            self.finishedAt = finishedAt
            self.error = error
        }

        enum CodingKeys: String, CodingKey {
            case name, state, version, error
            case selfUpgrade = "self_upgrade"
            case offeredAt = "offered_at"
            case finishedAt = "finished_at"
        }
    }

    public var spec: UpgradeSpec
    /// Unix seconds.
    public var startedAt: Int64
    /// No new offers: too many agents failed.
    public var stopped: Bool
    public var stopReason: String?
    public var counts: [String: Int]
    /// By name.
    public var agents: [AgentEntry]

    public init(spec: UpgradeSpec, startedAt: Int64, stopped: Bool, stopReason: String?, agents: [AgentEntry]) {
        self.spec = spec
        self.startedAt = startedAt
        self.stopped = stopped
        self.stopReason = stopReason
        self.agents = agents
        var counts = Dictionary(uniqueKeysWithValues: AgentState.allCases.map { ($0.rawValue, 0) })
        for agent in agents { counts[agent.state.rawValue, default: 0] += 1 }
        self.counts = counts
    }

    enum CodingKeys: String, CodingKey {
        case spec, stopped, counts, agents
        case startedAt = "started_at"
        case stopReason = "stop_reason"
    }
}
