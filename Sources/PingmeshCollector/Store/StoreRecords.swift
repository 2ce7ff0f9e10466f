import PingmeshModel

/// A batch as the store takes it: the agent's summaries already turned into minute rows.
public struct IngestBatch: Sendable {
    public var id: String
    public var agent: AgentRecord
    /// Server-pair rows at the minute resolution.
    public var rows: [PairAggregate]
    public var failures: [StoredFailure]
    public var ports: [PortRow]
    /// Server name -> placement labels learnt from this batch.
    public var placements: [String: [String: String]]

    public init(
        id: String, agent: AgentRecord, rows: [PairAggregate], failures: [StoredFailure], ports: [PortRow],
        placements: [String: [String: String]]
    ) {
        self.id = id
        self.agent = agent
        self.rows = rows
        self.failures = failures
        self.ports = ports
        self.placements = placements
    }

    /// The minute windows this batch touches.
    public var minuteWindows: [Int64] { Array(Set(rows.map(\.window))).sorted() }
}

/// One failed (or slow) probe as stored.
public struct StoredFailure: Sendable, Hashable, Codable {
    public var source: String
    public var destination: String
    public var target: String
    public var kind: ProbeKind
    public var result: ProbeResultClass
    /// Unix milliseconds.
    public var at: Int64
    public var rttNanoseconds: Int64?
    public var sourcePort: Int?
    public var detail: String?

    public init(
        source: String, destination: String, target: String, kind: ProbeKind, result: ProbeResultClass, at: Int64,
        rttNanoseconds: Int64? = nil, sourcePort: Int? = nil, detail: String? = nil
    ) {
        self.source = source
        self.destination = destination
        self.target = target
        self.kind = kind
        self.result = result
        self.at = at
        self.rttNanoseconds = rttNanoseconds
        self.sourcePort = sourcePort
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey {
        case source, destination, target, kind, result, at, detail
        case rttNanoseconds = "rtt_ns"
        case sourcePort = "source_port"
    }
}

/// Probes from one source port of one pair in one minute, kept where some failed.
public struct PortRow: Sendable, Hashable {
    public var window: Int64
    public var source: String
    public var destination: String
    public var port: Int
    public var sent: UInt64
    public var failed: UInt64

    public init(window: Int64, source: String, destination: String, port: Int, sent: UInt64, failed: UInt64) {
        self.window = window
        self.source = source
        self.destination = destination
        self.port = port
        self.sent = sent
        self.failed = failed
    }
}

/// What the collector knows of an agent.
public struct AgentRecord: Sendable, Hashable, Codable {
    public var name: String
    public var version: String?
    public var pinglistVersion: String?
    public var labels: [String: String]
    /// Unix milliseconds of the last upload received and of the batch's creation.
    public var lastUpload: Int64
    public var lastBatchCreated: Int64

    public init(name: String, version: String?, pinglistVersion: String?, labels: [String: String], lastUpload: Int64, lastBatchCreated: Int64) {
        self.name = name
        self.version = version
        self.pinglistVersion = pinglistVersion
        self.labels = labels
        self.lastUpload = lastUpload
        self.lastBatchCreated = lastBatchCreated
    }

    enum CodingKeys: String, CodingKey {
        case name, version, labels
        case pinglistVersion = "pinglist_version"
        case lastUpload = "last_upload"
        case lastBatchCreated = "last_batch_created"
    }
}

/// Which failures to list.
public struct FailureQuery: Sendable, Hashable {
    public var source: String?
    public var destination: String?
    /// Unix milliseconds, `from..<to`.
    public var from: Int64
    public var to: Int64
    public var limit: Int

    public init(source: String? = nil, destination: String? = nil, from: Int64, to: Int64, limit: Int = 1000) {
        self.source = source
        self.destination = destination
        self.from = from
        self.to = to
        self.limit = limit
    }
}

/// How long each kind of row is kept, in seconds.
public struct Retention: Sendable, Hashable {
    public var failures: Int64 = 7 * 86_400
    public var minute: Int64 = 2 * 86_400
    public var tenMinutes: Int64 = 14 * 86_400
    public var hour: Int64 = 90 * 86_400
    public var day: Int64 = 730 * 86_400

    public init() {}

    public func seconds(for resolution: Resolution) -> Int64 {
        switch resolution {
        case .minute: return minute
        case .tenMinutes: return tenMinutes
        case .hour: return hour
        case .day: return day
        }
    }
}

/// A window whose rollup is stale, with the generation of its last mark.
public struct DirtyWindow: Sendable, Hashable {
    /// Window start, Unix seconds.
    public var window: Int64
    public var generation: Int64

    public init(window: Int64, generation: Int64) {
        self.window = window
        self.generation = generation
    }
}
