/// A pinglist exactly as written in a file (YAML or JSON). `PinglistFile.validated` turns it into
/// the effective `Pinglist`, with defaults applied and every rule checked.
public struct PinglistFile: Sendable, Hashable, Codable {
    /// Set by the controller; a static file's version is the hash of its bytes.
    public var version: String?
    /// The agent this list was computed for, when a controller computed it.
    public var agent: String?
    public var settings: PinglistSettingsFile?
    public var groups: [TargetGroupFile]

    public init(version: String? = nil, agent: String? = nil, settings: PinglistSettingsFile? = nil, groups: [TargetGroupFile]) {
        self.version = version
        self.agent = agent
        self.settings = settings
        self.groups = groups
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, agent, settings, groups
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decodeIfPresent(String.self, forKey: .version)
        agent = try container.decodeIfPresent(String.self, forKey: .agent)
        settings = try container.decodeIfPresent(PinglistSettingsFile.self, forKey: .settings)
        groups = try container.decodeIfPresent([TargetGroupFile].self, forKey: .groups) ?? []
    }
}

/// Settings that apply to every target unless a target overrides them.
public struct PinglistSettingsFile: Sendable, Hashable, Codable {
    public var interval: ConfigDuration?
    public var timeout: ConfigDuration?
    public var delay: ConfigDuration?
    public var concurrency: Int?
    public var payloadBytes: Int?
    public var sourceAddress: String?
    /// Source ports TCP and UDP probes rotate over, "FIRST-LAST" (e.g. "20000-20007", outside the kernel's ephemeral range): each is a
    /// different 5-tuple, so a different equal-cost path (Pingmesh 5.1's port black holes).
    public var sourcePorts: String?
    /// DSCP (0-63) every TCP and UDP probe is marked with, so each QoS class can be probed on its
    /// own (Pingmesh probed classes separately).
    public var dscp: Int?
    public var ipProtocol: IPProtocolPreference?

    public init(
        interval: ConfigDuration? = nil, timeout: ConfigDuration? = nil, delay: ConfigDuration? = nil,
        concurrency: Int? = nil, payloadBytes: Int? = nil, sourceAddress: String? = nil,
        ipProtocol: IPProtocolPreference? = nil, sourcePorts: String? = nil, dscp: Int? = nil
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case interval, timeout, delay, concurrency
        case payloadBytes = "payload_bytes"
        case sourceAddress = "source_address"
        case sourcePorts = "source_ports"
        case dscp
        case ipProtocol = "ip_protocol"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        interval = try container.decodeIfPresent(ConfigDuration.self, forKey: .interval)
        timeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .timeout)
        delay = try container.decodeIfPresent(ConfigDuration.self, forKey: .delay)
        concurrency = try container.decodeIfPresent(Int.self, forKey: .concurrency)
        payloadBytes = try container.decodeIfPresent(Int.self, forKey: .payloadBytes)
        sourceAddress = try container.decodeIfPresent(String.self, forKey: .sourceAddress)
        sourcePorts = try container.decodeIfPresent(String.self, forKey: .sourcePorts)
        dscp = try container.decodeIfPresent(Int.self, forKey: .dscp)
        ipProtocol = try container.decodeIfPresent(IPProtocolPreference.self, forKey: .ipProtocol)
    }
}

/// A named group of targets sharing topology labels (dc, podset, pod, tor, region, ...).
public struct TargetGroupFile: Sendable, Hashable, Codable {
    public var name: String
    public var labels: [String: String]?
    /// Default probe kind and port for the group's targets.
    public var kind: ProbeKind?
    public var port: Int?
    public var targets: [TargetFile]
    /// HTTP probe options for the group's http targets (`HTTPProbeOptionsFile`).
    public var http: HTTPProbeOptionsFile?
    /// What the group's dns targets ask (targets may override field by field).
    public var dns: DNSOptionsFile? = nil

    public init(name: String, labels: [String: String]? = nil, kind: ProbeKind? = nil, port: Int? = nil, targets: [TargetFile]) {
        self.name = name
        self.labels = labels
        self.kind = kind
        self.port = port
        self.targets = targets
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, labels, kind, port, targets
        case http
        case dns
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels)
        kind = try container.decodeIfPresent(ProbeKind.self, forKey: .kind)
        port = try container.decodeIfPresent(Int.self, forKey: .port)
        targets = try container.decodeIfPresent([TargetFile].self, forKey: .targets) ?? []
        http = try container.decodeIfPresent(HTTPProbeOptionsFile.self, forKey: .http)
        dns = try container.decodeIfPresent(DNSOptionsFile.self, forKey: .dns)
    }
}

/// One target: an address (IP literal or host name), a port and optional per-target overrides.
/// Written either as a mapping or as the shorthand string `host:port` / `[v6]:port` / `host`.
public struct TargetFile: Sendable, Hashable, Codable {
    public var address: String
    public var port: Int?
    public var kind: ProbeKind?
    public var name: String?
    public var labels: [String: String]?
    public var interval: ConfigDuration?
    public var timeout: ConfigDuration?
    public var delay: ConfigDuration?
    public var payloadBytes: Int?
    /// HTTP probe options laid over the group's, field by field.
    public var http: HTTPProbeOptionsFile?
    /// This dns target's own query options, over its group's.
    public var dns: DNSOptionsFile? = nil

    public init(
        address: String, port: Int? = nil, kind: ProbeKind? = nil, name: String? = nil,
        labels: [String: String]? = nil, interval: ConfigDuration? = nil, timeout: ConfigDuration? = nil,
        delay: ConfigDuration? = nil, payloadBytes: Int? = nil
    ) {
        self.address = address
        self.port = port
        self.kind = kind
        self.name = name
        self.labels = labels
        self.interval = interval
        self.timeout = timeout
        self.delay = delay
        self.payloadBytes = payloadBytes
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case address, port, kind, name, labels, interval, timeout, delay
        case payloadBytes = "payload_bytes"
        case http
        case dns
    }

    public init(from decoder: any Decoder) throws {
        if let shorthand = try? decoder.singleValueContainer().decode(String.self), TargetFile.isURL(shorthand) {
            try self.init(url: shorthand, codingPath: decoder.codingPath)
            return
        }
        if let shorthand = try? decoder.singleValueContainer().decode(String.self) {
            guard let (host, port) = HostPort.split(shorthand) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "'\(shorthand)' is not host, host:port or [ipv6]:port")
                )
            }
            self.init(address: host, port: port)
            return
        }
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            address: try container.decode(String.self, forKey: .address),
            port: try container.decodeIfPresent(Int.self, forKey: .port),
            kind: try container.decodeIfPresent(ProbeKind.self, forKey: .kind),
            name: try container.decodeIfPresent(String.self, forKey: .name),
            labels: try container.decodeIfPresent([String: String].self, forKey: .labels),
            interval: try container.decodeIfPresent(ConfigDuration.self, forKey: .interval),
            timeout: try container.decodeIfPresent(ConfigDuration.self, forKey: .timeout),
            delay: try container.decodeIfPresent(ConfigDuration.self, forKey: .delay),
            payloadBytes: try container.decodeIfPresent(Int.self, forKey: .payloadBytes)
        )
        http = try container.decodeIfPresent(HTTPProbeOptionsFile.self, forKey: .http)
        dns = try container.decodeIfPresent(DNSOptionsFile.self, forKey: .dns)
    }
}
