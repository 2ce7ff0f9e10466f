/// What an agent saw of one target during one window (default 60 s): counts by class, the
/// latency distribution of the answered probes, min and max, and per-source-port counts where a
/// probe failed (a port-specific black hole shows there). Raw records travel only for failures.
public struct WindowSummary: Sendable, Hashable, Codable {
    /// Window start, Unix seconds, a multiple of `seconds`.
    public var start: Int64
    public var seconds: Int
    /// The target's id (`kind://host:port`).
    public var target: String
    /// The peer's name (a server name for mesh targets).
    public var name: String
    public var kind: ProbeKind
    /// The target's topology labels (dc, podset, pod, tor, region, ...).
    public var labels: [String: String]
    public var counts: ResultCounts
    /// RTTs of the answered probes.
    public var rtt: LatencySketch
    public var minRTTNanoseconds: Int64?
    public var maxRTTNanoseconds: Int64?
    /// Per source port, only when some probe of the window failed.
    public var ports: [PortCounts]

    public init(
        start: Int64, seconds: Int, target: String, name: String, kind: ProbeKind, labels: [String: String] = [:],
        counts: ResultCounts = ResultCounts(), rtt: LatencySketch = LatencySketch(), minRTTNanoseconds: Int64? = nil,
        maxRTTNanoseconds: Int64? = nil, ports: [PortCounts] = []
    ) {
        self.start = start
        self.seconds = seconds
        self.target = target
        self.name = name
        self.kind = kind
        self.labels = labels
        self.counts = counts
        self.rtt = rtt
        self.minRTTNanoseconds = minRTTNanoseconds
        self.maxRTTNanoseconds = maxRTTNanoseconds
        self.ports = ports
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case start, seconds, target, name, kind, labels, counts, rtt, ports
        case minRTTNanoseconds = "min_rtt_ns"
        case maxRTTNanoseconds = "max_rtt_ns"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        start = try container.decode(Int64.self, forKey: .start)
        seconds = try container.decode(Int.self, forKey: .seconds)
        target = try container.decode(String.self, forKey: .target)
        name = try container.decode(String.self, forKey: .name)
        kind = try container.decode(ProbeKind.self, forKey: .kind)
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        counts = try container.decode(ResultCounts.self, forKey: .counts)
        let text = try container.decodeIfPresent(String.self, forKey: .rtt) ?? ""
        do {
            rtt = try LatencySketch(base64: text)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .rtt, in: container, debugDescription: "the RTT sketch \(error)")
        }
        minRTTNanoseconds = try container.decodeIfPresent(Int64.self, forKey: .minRTTNanoseconds)
        maxRTTNanoseconds = try container.decodeIfPresent(Int64.self, forKey: .maxRTTNanoseconds)
        ports = try container.decodeIfPresent([PortCounts].self, forKey: .ports) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(start, forKey: .start)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(target, forKey: .target)
        try container.encode(name, forKey: .name)
        try container.encode(kind, forKey: .kind)
        if !labels.isEmpty { try container.encode(labels, forKey: .labels) }
        try container.encode(counts, forKey: .counts)
        try container.encode(rtt.base64, forKey: .rtt)
        try container.encodeIfPresent(minRTTNanoseconds, forKey: .minRTTNanoseconds)
        try container.encodeIfPresent(maxRTTNanoseconds, forKey: .maxRTTNanoseconds)
        if !ports.isEmpty { try container.encode(ports, forKey: .ports) }
    }
}

/// Probes sent from one source port and how many failed: ECMP hashes on the 5-tuple, so a bad
/// path shows as loss concentrated on some ports.
public struct PortCounts: Sendable, Hashable, Codable {
    public var port: Int
    public var sent: UInt64
    public var failed: UInt64

    public init(port: Int, sent: UInt64, failed: UInt64) {
        self.port = port
        self.sent = sent
        self.failed = failed
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case port, sent, failed }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        port = try container.decode(Int.self, forKey: .port)
        sent = try container.decode(UInt64.self, forKey: .sent)
        failed = try container.decode(UInt64.self, forKey: .failed)
    }
}
