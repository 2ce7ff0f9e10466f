import NIOCore
import PingmeshModel

/// One probe to send: a resolved address and the limits that classify its answer.
public struct ProbeRequest: Sendable {
    public var address: SocketAddress
    public var timeout: Duration
    /// The "slow" threshold.
    public var delay: Duration
    /// Bytes to send and wait for echoed; 0 measures the handshake alone.
    public var payloadBytes: Int
    /// Local address to leave from; nil lets the kernel choose (and pick a fresh source port).
    public var sourceAddress: SocketAddress?
    /// DSCP codepoint (0-63) to mark the probe's packets with (IPv4 TOS / IPv6 traffic class,
    /// shifted left two bits past ECN); nil leaves the default.
    public var dscp: Int?
    /// How an HTTP probe asks and judges (`HTTPProber`); nil is an agent's `GET /ping`.
    public var http: HTTPProbeOptions?
    /// The question a DNS probe asks and the answers it accepts; nil for other kinds.
    public var dns: DNSProbeOptions? = nil
    /// How long resolving the target's host name took when the list was loaded or last
    /// refreshed; nil for a literal address. HTTP reports it as its `resolve` phase.
    public var resolveTime: Duration? = nil

    public init(
        address: SocketAddress, timeout: Duration = .seconds(2), delay: Duration = .milliseconds(10),
        payloadBytes: Int = 0, sourceAddress: SocketAddress? = nil, dscp: Int? = nil
    ) {
        self.dscp = dscp
        self.address = address
        self.timeout = timeout
        self.delay = delay
        self.payloadBytes = payloadBytes
        self.sourceAddress = sourceAddress
    }
}
