import PingmeshModel

/// How one probe went.
public struct ProbeOutcome: Sendable, Equatable {
    public var result: ProbeResultClass
    /// The measured round trip: the handshake, or the payload echo in payload mode.
    public var rtt: Duration?
    /// The TCP handshake alone, when there was one.
    public var connectRTT: Duration?
    /// What went wrong, for logs and `pingmesh probe`; never a metric label.
    public var detail: String?
    /// The local port the probe left from, where the kernel had picked one: ECMP hashes on the
    /// 5-tuple, so failures concentrated on some source ports point at one bad path.
    public var sourcePort: Int?
    /// SYNs the kernel sent again before the handshake completed (TCP_INFO), where the prober can
    /// read it: each is a SYN or SYN-ACK lost on the way (Pingmesh 4.2), and it is why such a
    /// connect takes the initial retransmission timeout (1 s on Linux) longer.
    public var synRetransmits: Int?
    /// The TTL (IPv4) or hop limit (IPv6) the reply arrived with, where the prober sees it (ICMP):
    /// a change means the path changed.
    public var replyTTL: Int?
    /// The RTT as user space saw it (the send call to the reader's wake-up), set when `rtt` came
    /// from the kernel's receive timestamp instead (UDP and ICMP); the difference is the
    /// scheduling delay the kernel timestamp keeps out of the measurement.
    public var userSpaceRTT: Duration?
    /// How long the responder held the probe (UDP echo: its receive to its send), when it says.
    public var responderDwell: Duration?
    /// An HTTP probe's phases and status.
    public var httpPhases: HTTPPhases?
    /// How far the server's clock is ahead of ours (negative: behind), from an NTP probe's four
    /// timestamps; what an operator alerts on, beside the RTT.
    public var clockOffset: Duration?

    public init(
        result: ProbeResultClass, rtt: Duration? = nil, connectRTT: Duration? = nil, detail: String? = nil, sourcePort: Int? = nil
    ) {
        self.result = result
        self.rtt = rtt
        self.connectRTT = connectRTT
        self.detail = detail
        self.sourcePort = sourcePort
    }

    /// An answered probe, `ok` or `slow` by its RTT against the target's `delay`.
    public static func answered(rtt: Duration, connectRTT: Duration? = nil, delay: Duration) -> ProbeOutcome {
        ProbeOutcome(result: rtt > delay ? .slow : .ok, rtt: rtt, connectRTT: connectRTT)
    }
}
