/// One probe that did not come back ok: the raw record kept for every failure (and slow probe),
/// so the store grows with failures, not with probes.
public struct FailureRecord: Sendable, Hashable, Codable {
    /// When the probe left, Unix milliseconds.
    public var at: Int64
    public var target: String
    public var name: String
    public var kind: ProbeKind
    public var result: ProbeResultClass
    public var rttNanoseconds: Int64?
    public var sourcePort: Int?
    /// What went wrong, in words (never a metric label).
    public var detail: String?

    public init(
        at: Int64, target: String, name: String, kind: ProbeKind, result: ProbeResultClass, rttNanoseconds: Int64? = nil,
        sourcePort: Int? = nil, detail: String? = nil
    ) {
        self.at = at
        self.target = target
        self.name = name
        self.kind = kind
        self.result = result
        self.rttNanoseconds = rttNanoseconds
        self.sourcePort = sourcePort
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case at, target, name, kind, result, detail
        case rttNanoseconds = "rtt_ns"
        case sourcePort = "source_port"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        at = try container.decode(Int64.self, forKey: .at)
        target = try container.decode(String.self, forKey: .target)
        name = try container.decode(String.self, forKey: .name)
        kind = try container.decode(ProbeKind.self, forKey: .kind)
        result = try container.decode(ProbeResultClass.self, forKey: .result)
        rttNanoseconds = try container.decodeIfPresent(Int64.self, forKey: .rttNanoseconds)
        sourcePort = try container.decodeIfPresent(Int.self, forKey: .sourcePort)
        detail = try container.decodeIfPresent(String.self, forKey: .detail)
    }
}
