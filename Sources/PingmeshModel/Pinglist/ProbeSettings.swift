/// The effective settings of a pinglist, defaults applied.
public struct ProbeSettings: Sendable, Hashable {
    /// Length of a round: every target is probed once per interval.
    public var interval: Duration
    /// How long a probe may wait for an answer.
    public var timeout: Duration
    /// The "slow" threshold: an answer above it is classed `slow`.
    public var delay: Duration
    /// Most probes in flight at once, across all targets.
    public var concurrency: Int
    /// Bytes sent and echoed per probe; 0 measures the handshake alone.
    public var payloadBytes: Int
    /// Local address probes leave from; nil lets the kernel choose.
    public var sourceAddress: String?
    /// Source ports TCP and UDP probes of one target rotate over, one per probe; empty lets the
    /// kernel pick a fresh port for every probe.
    public var sourcePorts: [Int]
    /// DSCP (0-63) TCP and UDP probes are marked with; nil leaves the kernel's default (0).
    public var dscp: Int?
    public var ipProtocol: IPProtocolPreference

    public init(
        interval: Duration = ProbeSettings.defaultInterval,
        timeout: Duration = .seconds(2),
        delay: Duration = .milliseconds(10),
        concurrency: Int = 100,
        payloadBytes: Int = 0,
        sourceAddress: String? = nil,
        ipProtocol: IPProtocolPreference = .both,
        sourcePorts: [Int] = [],
        dscp: Int? = nil
    ) {
        self.dscp = dscp
        self.sourcePorts = sourcePorts
        self.interval = interval
        self.timeout = timeout
        self.delay = delay
        self.concurrency = concurrency
        self.payloadBytes = payloadBytes
        self.sourceAddress = sourceAddress
        self.ipProtocol = ipProtocol
    }

    public static let defaultInterval: Duration = .seconds(10)
}

/// Limits that hold whatever a pinglist says: they keep a mesh of agents from becoming a flood.
public enum SafetyLimits {
    /// Pingmesh's rule: one pair is probed at most once every 10 s.
    public static let minimumPairInterval: Duration = .seconds(10)
    /// Largest payload a probe may carry, and a responder accepts.
    public static let maximumPayloadBytes = 64 * 1024
    /// Most probes in flight one agent may have.
    public static let maximumConcurrency = 10_000
    /// Most source ports one pinglist may rotate over (each holds its own loss bucket).
    public static let maximumSourcePorts = 64
    /// Consecutive failed pinglist pulls after which an agent stops probing.
    public static let maximumFailedPulls = 3
}
