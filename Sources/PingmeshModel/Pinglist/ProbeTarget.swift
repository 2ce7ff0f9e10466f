/// One target of an agent's pinglist with everything needed to probe it, defaults applied.
public struct ProbeTarget: Sendable, Hashable, Identifiable {
    /// `kind://host:port` (an http target's URL, a dns target's query appended): unique within a
    /// pinglist, stable across pinglist versions, so a target keeps its phase in the round and its
    /// metrics when the list around it changes.
    public var id: String { Self.identifier(kind: kind, host: host, port: port, http: http, dns: dns) }
    /// A human name (the peer server's name), or the address.
    public var name: String
    public var group: String
    public var kind: ProbeKind
    /// An IP literal or a host name that the agent resolves when the list is loaded.
    public var host: String
    public var port: Int
    /// The group's topology labels merged with the target's own.
    public var labels: [String: String]
    public var interval: Duration
    public var timeout: Duration
    public var delay: Duration
    public var payloadBytes: Int
    /// How an http target is probed; nil for other kinds and for an agent's plain `/ping`.
    public var http: HTTPProbeOptions?
    /// What a dns target asks and accepts; nil for other kinds.
    public var dns: DNSProbeOptions? = nil

    public init(
        name: String, group: String, kind: ProbeKind, host: String, port: Int, labels: [String: String] = [:],
        interval: Duration = ProbeSettings.defaultInterval, timeout: Duration = .seconds(2),
        delay: Duration = .milliseconds(10), payloadBytes: Int = 0
    ) {
        self.name = name
        self.group = group
        self.kind = kind
        self.host = host
        self.port = port
        self.labels = labels
        self.interval = interval
        self.timeout = timeout
        self.delay = delay
        self.payloadBytes = payloadBytes
    }
}

/// Default ports of the agent's listeners (DESIGN.md).
public enum DefaultPorts {
    public static let agentHTTP = 9300
    public static let agentTCP = 9301
    public static let agentUDP = 9302
    public static let controller = 9310
    public static let collector = 9320

    /// The port a target of this kind gets when the pinglist names none.
    public static func defaultPort(for kind: ProbeKind) -> Int {
        switch kind {
        case .tcp: return agentTCP
        case .http: return agentHTTP
        case .udp: return agentUDP
        case .dns: return 53
        case .ntp: return 123
        case .icmp: return 0
        }
    }
}
