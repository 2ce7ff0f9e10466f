/// How one probe ended, as the contracts in DESIGN.md define it.
public enum ProbeResultClass: String, Sendable, Hashable, Codable, CaseIterable {
    /// Answered within the target's `delay`.
    case ok
    /// Answered, but the RTT was above the target's `delay`.
    case slow
    /// No answer before the target's `timeout`.
    case timeout
    /// The peer actively refused (TCP RST, ICMP port unreachable).
    case refused
    /// The network said the destination cannot be reached (no route, host unreachable).
    case unreachable
    /// Anything else: a local error, a malformed reply, an echo that did not match.
    case error
    /// Not sent: the target's host name has no address (it never resolved). Last, so encodings
    /// that follow the case order keep the six older classes where they were.
    case unresolved

    /// Whether the probe counts against the target's health.
    public var isFailure: Bool {
        switch self {
        case .ok, .slow: return false
        case .timeout, .refused, .unreachable, .error, .unresolved: return true
        }
    }
}
