/// Probes of one window by result class.
public struct ResultCounts: Sendable, Hashable, Codable {
    public var ok: UInt64 = 0
    public var slow: UInt64 = 0
    public var timeout: UInt64 = 0
    public var refused: UInt64 = 0
    public var unreachable: UInt64 = 0
    public var error: UInt64 = 0

    public init(ok: UInt64 = 0, slow: UInt64 = 0, timeout: UInt64 = 0, refused: UInt64 = 0, unreachable: UInt64 = 0, error: UInt64 = 0) {
        self.ok = ok
        self.slow = slow
        self.timeout = timeout
        self.refused = refused
        self.unreachable = unreachable
        self.error = error
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case ok, slow, timeout, refused, unreachable, error }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ok = try container.decodeIfPresent(UInt64.self, forKey: .ok) ?? 0
        slow = try container.decodeIfPresent(UInt64.self, forKey: .slow) ?? 0
        timeout = try container.decodeIfPresent(UInt64.self, forKey: .timeout) ?? 0
        refused = try container.decodeIfPresent(UInt64.self, forKey: .refused) ?? 0
        unreachable = try container.decodeIfPresent(UInt64.self, forKey: .unreachable) ?? 0
        error = try container.decodeIfPresent(UInt64.self, forKey: .error) ?? 0
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
            }
        }
    }

    /// Every probe sent.
    public var total: UInt64 { ok &+ slow &+ timeout &+ refused &+ unreachable &+ error }
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
