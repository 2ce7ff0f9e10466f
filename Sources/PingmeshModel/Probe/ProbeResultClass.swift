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
    /// Not sent: the target's host name has no address (it never resolved). After the six
    /// classes above, so encodings that follow the case order keep each of them in its place.
    case unresolved
    /// Answered, but only after the kernel sent its SYN again (TCP): a SYN or SYN-ACK was lost on
    /// the way. The handshake then takes the retransmission timeout (1 s on Linux), which is no
    /// network latency, so such a probe counts as a lost packet and stays out of the latency
    /// sketch. Last, like `unresolved`, so case-ordered encodings keep every class above in place.
    case retransmitted

    /// Whether the probe counts against the target's health: it got no answer.
    public var isFailure: Bool {
        switch self {
        case .ok, .slow, .retransmitted: return false
        case .timeout, .refused, .unreachable, .error, .unresolved: return true
        }
    }

    /// Whether the probe's RTT is network latency (ok or slow): the probes a latency sketch holds.
    public var isAnswered: Bool { self == .ok || self == .slow }
}
