import PingmeshModel

/// What a responder accepts, so that a flood of probes cannot take its host down.
public struct ResponderLimits: Sendable, Hashable {
    /// Connections served at once; beyond it the responder stops accepting until one closes.
    public var maxConnections: Int
    /// Bytes echoed on one connection (or returned by `/ping`); a connection sending more is closed.
    public var maxPayloadBytes: Int
    /// A connection silent this long is closed, so idle sockets cannot hold every slot.
    public var idleTimeout: Duration

    public init(
        maxConnections: Int = 1024, maxPayloadBytes: Int = SafetyLimits.maximumPayloadBytes,
        idleTimeout: Duration = .seconds(10)
    ) {
        self.maxConnections = maxConnections
        self.maxPayloadBytes = maxPayloadBytes
        self.idleTimeout = idleTimeout
    }
}
