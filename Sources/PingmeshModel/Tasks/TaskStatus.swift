import Foundation

/// `GET /v1/tasks/{id}`: the task, and where each chosen agent stands.
public struct TaskStatus: Sendable, Hashable, Codable {
    public enum AgentState: String, Sendable, Hashable, Codable {
        /// Not fetched yet.
        case pending
        /// Fetched by the agent, no result yet.
        case running
        case done
        case failed
        /// The task expired before the agent fetched it (or before it answered).
        case expired
    }

    public struct AgentEntry: Sendable, Hashable, Codable {
        public var name: String
        public var state: AgentState
        /// Unix seconds, when the agent fetched the task and when it answered.
        public var fetchedAt: Int64?
        public var finishedAt: Int64?
        public var outcome: TaskOutcome?

        public init(name: String, state: AgentState, fetchedAt: Int64? = nil, finishedAt: Int64? = nil, outcome: TaskOutcome? = nil) {
            self.name = name
            self.state = state
            self.fetchedAt = fetchedAt
            self.finishedAt = finishedAt
            self.outcome = outcome
        }

        enum CodingKeys: String, CodingKey {
            case name, state, outcome
            case fetchedAt = "fetched_at"
            case finishedAt = "finished_at"
        }
    }

    public struct Progress: Sendable, Hashable, Codable {
        public var agents: Int
        public var pending: Int
        public var running: Int
        public var done: Int
        public var failed: Int
        public var expired: Int

        /// Every agent has an end state.
        public var finished: Bool { pending == 0 && running == 0 }
    }

    public var id: String
    public var selector: String
    public var action: TaskAction
    public var createdAt: Int64
    public var expiresAt: Int64
    public var agents: [AgentEntry]

    public init(id: String, selector: String, action: TaskAction, createdAt: Int64, expiresAt: Int64, agents: [AgentEntry]) {
        self.id = id
        self.selector = selector
        self.action = action
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.agents = agents
    }

    public var progress: Progress {
        func count(_ state: AgentState) -> Int { agents.filter { $0.state == state }.count }
        return Progress(
            agents: agents.count, pending: count(.pending), running: count(.running), done: count(.done), failed: count(.failed),
            expired: count(.expired))
    }

    enum CodingKeys: String, CodingKey {
        case id, selector, action, agents, progress
        case createdAt = "created_at"
        case expiresAt = "expires_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        selector = try container.decode(String.self, forKey: .selector)
        action = try container.decode(TaskAction.self, forKey: .action)
        createdAt = try container.decode(Int64.self, forKey: .createdAt)
        expiresAt = try container.decode(Int64.self, forKey: .expiresAt)
        agents = try container.decode([AgentEntry].self, forKey: .agents)
    }

    /// Progress is written out for readers (the CLI, scripts) and derived again when read.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(selector, forKey: .selector)
        try container.encode(action, forKey: .action)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(expiresAt, forKey: .expiresAt)
        try container.encode(agents, forKey: .agents)
        try container.encode(progress, forKey: .progress)
    }
}
