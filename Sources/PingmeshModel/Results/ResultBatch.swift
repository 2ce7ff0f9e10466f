/// What an agent uploads (`POST /v1/results`): window summaries and raw failure records, under
/// a batch id so that a retried upload is recognised and never counted twice.
public struct ResultBatch: Sendable, Hashable, Codable {
    /// Wire format version.
    public static let formatVersion = 1
    /// Largest batch the collector takes, in summaries plus failures.
    public static let maximumEntries = 100_000

    public var id: String
    public var agent: String
    public var agentVersion: String?
    public var pinglistVersion: String?
    /// The agent's own topology labels (dc, podset, pod, tor, region, ...).
    public var labels: [String: String]
    /// When the agent made the batch, Unix milliseconds.
    public var createdAt: Int64
    public var windows: [WindowSummary]
    public var failures: [FailureRecord]

    public init(
        id: String, agent: String, agentVersion: String? = nil, pinglistVersion: String? = nil, labels: [String: String] = [:],
        createdAt: Int64, windows: [WindowSummary], failures: [FailureRecord] = []
    ) {
        self.id = id
        self.agent = agent
        self.agentVersion = agentVersion
        self.pinglistVersion = pinglistVersion
        self.labels = labels
        self.createdAt = createdAt
        self.windows = windows
        self.failures = failures
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, id, agent, labels, windows, failures
        case agentVersion = "agent_version"
        case pinglistVersion = "pinglist_version"
        case createdAt = "created_at"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .version)
        guard version == Self.formatVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container, debugDescription: "format version \(version) is not supported (this collector reads \(Self.formatVersion))")
        }
        id = try container.decode(String.self, forKey: .id)
        agent = try container.decode(String.self, forKey: .agent)
        agentVersion = try container.decodeIfPresent(String.self, forKey: .agentVersion)
        pinglistVersion = try container.decodeIfPresent(String.self, forKey: .pinglistVersion)
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        createdAt = try container.decode(Int64.self, forKey: .createdAt)
        windows = try container.decodeIfPresent([WindowSummary].self, forKey: .windows) ?? []
        failures = try container.decodeIfPresent([FailureRecord].self, forKey: .failures) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.formatVersion, forKey: .version)
        try container.encode(id, forKey: .id)
        try container.encode(agent, forKey: .agent)
        try container.encodeIfPresent(agentVersion, forKey: .agentVersion)
        try container.encodeIfPresent(pinglistVersion, forKey: .pinglistVersion)
        if !labels.isEmpty { try container.encode(labels, forKey: .labels) }
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(windows, forKey: .windows)
        if !failures.isEmpty { try container.encode(failures, forKey: .failures) }
    }
}
