/// Probes of one window by result class.
public struct ResultCounts: Sendable, Hashable, Codable {
    public var ok: UInt64 = 0
    public var slow: UInt64 = 0
    public var timeout: UInt64 = 0
    public var refused: UInt64 = 0
    public var unreachable: UInt64 = 0
    public var error: UInt64 = 0
    /// Rounds in which the target's name had no address, so nothing was sent. Absent from
    /// uploads of agents that predate the class, which decode it as 0.
    public var unresolved: UInt64 = 0

    public init(
        ok: UInt64 = 0, slow: UInt64 = 0, timeout: UInt64 = 0, refused: UInt64 = 0, unreachable: UInt64 = 0, error: UInt64 = 0,
        unresolved: UInt64 = 0
    ) {
        self.ok = ok
        self.slow = slow
        self.timeout = timeout
        self.refused = refused
        self.unreachable = unreachable
        self.error = error
        self.unresolved = unresolved
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case ok, slow, timeout, refused, unreachable, error, unresolved }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ok = try container.decodeIfPresent(UInt64.self, forKey: .ok) ?? 0
        slow = try container.decodeIfPresent(UInt64.self, forKey: .slow) ?? 0
        timeout = try container.decodeIfPresent(UInt64.self, forKey: .timeout) ?? 0
        refused = try container.decodeIfPresent(UInt64.self, forKey: .refused) ?? 0
        unreachable = try container.decodeIfPresent(UInt64.self, forKey: .unreachable) ?? 0
        error = try container.decodeIfPresent(UInt64.self, forKey: .error) ?? 0
        unresolved = try container.decodeIfPresent(UInt64.self, forKey: .unresolved) ?? 0
    }

    /// Leaves `unresolved` out while it is 0, so a collector that predates the class (and rejects
    /// unknown keys) still takes an upload in which every name resolved.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ok, forKey: .ok)
        try container.encode(slow, forKey: .slow)
        try container.encode(timeout, forKey: .timeout)
        try container.encode(refused, forKey: .refused)
        try container.encode(unreachable, forKey: .unreachable)
        try container.encode(error, forKey: .error)
        if unresolved != 0 { try container.encode(unresolved, forKey: .unresolved) }
    }

    public subscript(result: ProbeResultClass) -> UInt64 {
        get {
            switch result {
            case .ok: return ok
            case .slow: return slow
            case .timeout: return timeout
            case .refused: return refused
            case .unreachable: return unreachable
            case .error: return error
            case .unresolved: return unresolved
            }
        }
        set {
            switch result {
            case .ok: ok = newValue
            case .slow: slow = newValue
            case .timeout: timeout = newValue
            case .refused: refused = newValue
            case .unreachable: unreachable = newValue
            case .error: error = newValue
            case .unresolved: unresolved = newValue
            }
        }
    }

    /// Every probe counted, unresolved rounds included (they count against the target's health).
    public var total: UInt64 { ok &+ slow &+ timeout &+ refused &+ unreachable &+ error &+ unresolved }
    /// Probes that got an answer (ok or slow): the ones with an RTT.
    public var answered: UInt64 { ok &+ slow }
    /// Probes that failed.
    public var failed: UInt64 { total &- answered }

    /// Failed probes over all probes; nil with no probes ("no data" is not zero loss).
    public var lossRatio: Double? { total == 0 ? nil : Double(failed) / Double(total) }

    public mutating func add(_ other: ResultCounts) {
        for result in ProbeResultClass.allCases { self[result] &+= other[result] }
    }
}
