/// The pinglist format of pingmesh-agent (the blackbox_exporter-based Pingmesh), accepted as it
/// is so its users can switch with their existing file:
///
/// ```yaml
/// setting:
///   concurrent_limit: 20      # -> settings.concurrency
///   interval: 60.0            # seconds -> settings.interval
///   delay: 200                # milliseconds -> settings.delay
///   timeout: 2.0              # seconds -> settings.timeout
///   source_ip_addr: 0.0.0.0   # -> settings.source_address (0.0.0.0 / :: mean "kernel chooses")
///   ip_protocol: ip6          # -> settings.ip_protocol
/// mesh:
///   add-local-ips:            # key -> label mesh_id
///     name: local ips         # -> group name (the key when absent)
///     type: OtherIP           # -> label mesh_type
///     ips: [127.0.0.1, www.example.com]   # -> targets, ICMP echo as pingmesh-agent sends
/// ```
public struct CompatPinglistFile: Sendable, Hashable, Decodable {
    public var setting: Setting?
    public var mesh: [String: MeshItem]

    public struct Setting: Sendable, Hashable, Decodable {
        public var concurrentLimit: Int?
        public var interval: Double?
        public var delay: Double?
        public var timeout: Double?
        public var sourceIPAddr: String?
        public var ipProtocol: IPProtocolPreference?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case concurrentLimit = "concurrent_limit"
            case interval, delay, timeout
            case sourceIPAddr = "source_ip_addr"
            case ipProtocol = "ip_protocol"
        }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            concurrentLimit = try container.decodeIfPresent(Int.self, forKey: .concurrentLimit)
            interval = try container.decodeIfPresent(Double.self, forKey: .interval)
            delay = try container.decodeIfPresent(Double.self, forKey: .delay)
            timeout = try container.decodeIfPresent(Double.self, forKey: .timeout)
            sourceIPAddr = try container.decodeIfPresent(String.self, forKey: .sourceIPAddr)
            ipProtocol = try container.decodeIfPresent(IPProtocolPreference.self, forKey: .ipProtocol)
        }
    }

    public struct MeshItem: Sendable, Hashable, Decodable {
        public var name: String?
        public var type: String?
        public var ips: [String]

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, type, ips
        }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            type = try container.decodeIfPresent(String.self, forKey: .type)
            ips = try container.decodeIfPresent([String].self, forKey: .ips) ?? []
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case setting, mesh
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        setting = try container.decodeIfPresent(Setting.self, forKey: .setting)
        mesh = try container.decodeIfPresent([String: MeshItem].self, forKey: .mesh) ?? [:]
    }

    /// The same list in the native format. pingmesh-agent's pinglist drives ICMP echo, so the
    /// targets are ICMP targets; mesh keys are sorted so the result does not depend on map order.
    public var native: PinglistFile {
        var settings = PinglistSettingsFile()
        if let value = setting?.concurrentLimit { settings.concurrency = value }
        if let value = setting?.interval { settings.interval = .seconds(value) }
        if let value = setting?.delay { settings.delay = .seconds(value / 1000) }
        if let value = setting?.timeout { settings.timeout = .seconds(value) }
        if let value = setting?.sourceIPAddr, !["0.0.0.0", "::", ""].contains(value) { settings.sourceAddress = value }
        settings.ipProtocol = setting?.ipProtocol
        let groups = mesh.keys.sorted().map { key -> TargetGroupFile in
            let item = mesh[key]!
            var labels = ["mesh_id": key]
            if let type = item.type { labels["mesh_type"] = type }
            return TargetGroupFile(
                name: item.name ?? key, labels: labels, kind: .icmp,
                targets: item.ips.map { TargetFile(address: $0) }
            )
        }
        return PinglistFile(settings: settings, groups: groups)
    }
}
