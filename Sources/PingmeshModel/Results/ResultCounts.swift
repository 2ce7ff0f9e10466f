/// Probes of one window by result class.
public struct ResultCounts: Sendable, Hashable, Codable {
    public var ok: UInt64 = 0
    public var slow: UInt64 = 0
    public var timeout: UInt64 = 0
    public var refused: UInt64 = 0
    public var unreachable: UInt64 = 0
    public var error: UInt64 = 0
    /// Rounds in which the target's name had no address, so nothing was sent. An upload without
    /// the key (from an agent that does not know the class) decodes it as 0.
    public var unresolved: UInt64 = 0
    /// TCP probes answered only after a retransmitted SYN (a class: each is counted once).
    public var retransmitted: UInt64 = 0
    /// SYNs the kernel sent again across the window's TCP probes (not a class: a probe may have
    /// resent more than one). Each is a SYN or SYN-ACK lost on the way.
    public var synRetransmits: UInt64 = 0
    /// Jitter as the mean absolute difference of successive RTTs (RFC 3393's IPDV between
    /// consecutive answered probes, averaged rather than smoothed as RFC 3550 does, so windows
    /// add up): `jitterPairs` successive answered probes, whose RTTs differ by
    /// `jitterNanoseconds` in all. Both add across windows, servers and rollups.
    public var jitterPairs: UInt64 = 0
    public var jitterNanoseconds: UInt64 = 0

    public init(
        ok: UInt64 = 0, slow: UInt64 = 0, timeout: UInt64 = 0, refused: UInt64 = 0, unreachable: UInt64 = 0, error: UInt64 = 0,
        unresolved: UInt64 = 0, retransmitted: UInt64 = 0, synRetransmits: UInt64 = 0, jitterPairs: UInt64 = 0,
        jitterNanoseconds: UInt64 = 0
    ) {
        self.jitterPairs = jitterPairs
        self.jitterNanoseconds = jitterNanoseconds
        self.retransmitted = retransmitted
        self.synRetransmits = synRetransmits
        self.ok = ok
        self.slow = slow
        self.timeout = timeout
        self.refused = refused
        self.unreachable = unreachable
        self.error = error
        self.unresolved = unresolved
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case ok, slow, timeout, refused, unreachable, error, unresolved, retransmitted
        case synRetransmits = "syn_retransmits"
        case jitterPairs = "jitter_pairs"
        case jitterNanoseconds = "jitter_sum_ns"
    }

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
        retransmitted = try container.decodeIfPresent(UInt64.self, forKey: .retransmitted) ?? 0
        synRetransmits = try container.decodeIfPresent(UInt64.self, forKey: .synRetransmits) ?? 0
        jitterPairs = try container.decodeIfPresent(UInt64.self, forKey: .jitterPairs) ?? 0
        jitterNanoseconds = try container.decodeIfPresent(UInt64.self, forKey: .jitterNanoseconds) ?? 0
        if let (field, reason) = inconsistency, let key = CodingKeys(rawValue: field) {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: reason)
        }
    }

    /// The first pair of counts that cannot both be true, as the field to blame (its name on the
    /// wire) and why; nil when they agree. Every upload format checks the same.
    public var inconsistency: (field: String, reason: String)? {
        if synRetransmits < retransmitted {
            return (
                CodingKeys.synRetransmits.rawValue,
                "is \(synRetransmits), below retransmitted (\(retransmitted)): each retransmitted probe resent at least one SYN"
            )
        }
        if jitterPairs > answered {
            return (
                CodingKeys.jitterPairs.rawValue,
                "is \(jitterPairs), above the answered probes (ok + slow = \(answered)): a pair is two successive answered probes"
            )
        }
        if jitterPairs == 0, jitterNanoseconds != 0 {
            return (CodingKeys.jitterNanoseconds.rawValue, "is \(jitterNanoseconds) with no jitter_pairs to spread it over")
        }
        return nil
    }

    /// Leaves `unresolved`, `retransmitted`, `syn_retransmits` and the jitter out while they are 0, so a
    /// collector that does not know them (it rejects unknown keys) still takes an upload without them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ok, forKey: .ok)
        try container.encode(slow, forKey: .slow)
        try container.encode(timeout, forKey: .timeout)
        try container.encode(refused, forKey: .refused)
        try container.encode(unreachable, forKey: .unreachable)
        try container.encode(error, forKey: .error)
        if unresolved != 0 { try container.encode(unresolved, forKey: .unresolved) }
        if retransmitted != 0 { try container.encode(retransmitted, forKey: .retransmitted) }
        if synRetransmits != 0 { try container.encode(synRetransmits, forKey: .synRetransmits) }
        if jitterPairs != 0 {
            try container.encode(jitterPairs, forKey: .jitterPairs)
            try container.encode(jitterNanoseconds, forKey: .jitterNanoseconds)
        }
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
            case .retransmitted: return retransmitted
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
            case .retransmitted: retransmitted = newValue
            }
        }
    }

    /// Every probe counted, unresolved rounds included (they count against the target's health).
    public var total: UInt64 { ok &+ slow &+ timeout &+ refused &+ unreachable &+ error &+ unresolved &+ retransmitted }
    /// Probes whose RTT is network latency (ok or slow): the ones the latency sketch holds.
    public var answered: UInt64 { ok &+ slow }
    /// Probes that got no answer.
    public var failed: UInt64 { timeout &+ refused &+ unreachable &+ error &+ unresolved }

    /// Packets sent: every probe once, and every SYN the kernel sent again.
    public var packetsSent: UInt64 { total &+ synRetransmits }
    /// Packets lost: every failed probe, and every retransmitted SYN (Pingmesh's TCP loss: with
    /// Linux's 1 s initial RTO a lost SYN shows as a resent one, not as a failed probe).
    public var packetsLost: UInt64 { failed &+ synRetransmits }

    /// Lost packets over sent packets; nil with no probes ("no data" is not zero loss).
    public var lossRatio: Double? { total == 0 ? nil : Double(packetsLost) / Double(packetsSent) }

    public mutating func add(_ other: ResultCounts) {
        for result in ProbeResultClass.allCases { self[result] &+= other[result] }
        synRetransmits &+= other.synRetransmits
        jitterPairs &+= other.jitterPairs
        jitterNanoseconds &+= other.jitterNanoseconds
    }

    /// The mean absolute RTT difference of successive answered probes, in seconds; nil with
    /// fewer than two answered probes in a row.
    public var jitterSeconds: Double? {
        jitterPairs == 0 ? nil : Double(jitterNanoseconds) / Double(jitterPairs) / 1e9
    }
}
