import Foundation

/// blackbox_exporter's module configuration, as blackbox.yml and pingmesh-agent's pingmesh.yml
/// write it, so an existing configuration works unchanged:
///
/// ```yaml
/// modules:
///   http_2xx: {prober: http, timeout: 5s, http: {method: GET, valid_status_codes: [200]}}
///   tcp_connect: {prober: tcp}
///   icmp: {prober: icmp, icmp: {preferred_ip_protocol: ip4}}
///   dns_a: {prober: dns, dns: {query_name: example.com, query_type: A, transport_protocol: tcp}}
/// ```
///
/// Each module becomes the settings of a pingmesh probe of its kind. Fields that change what a
/// probe checks and that pingmesh cannot honour (a grpc prober, tcp `query_response`, http
/// `basic_auth`, ...) make the module refused, with the field named: answering such a probe with
/// a plain connect would report success where blackbox_exporter reports failure. Fields that only
/// tune the client (`valid_http_versions`, `follow_redirects`, `ip_protocol_fallback`, `ttl`, ...)
/// are accepted and listed in `ignored`.
public struct BlackboxConfigFile: Sendable, Decodable {
    public var modules: [String: BlackboxModule]

    enum CodingKeys: String, CodingKey, CaseIterable { case modules }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        modules = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent([String: BlackboxModule].self, forKey: .modules) ?? [:]
    }
}

public struct BlackboxModule: Sendable, Hashable, Decodable {
    /// What a module asks of a probe, in pingmesh's terms.
    public struct Settings: Sendable, Hashable {
        public var kind: ProbeKind
        public var timeout: Duration?
        public var ipProtocol: IPProtocolPreference?
        public var sourceAddress: String?
        public var payloadBytes: Int?
        public var http: HTTPProbeOptionsFile?
        public var dns: DNSOptionsFile?
    }

    public var prober: String
    /// The probe this module is, or nil when it cannot run here (`refusal` says why).
    public var settings: Settings?
    /// Why the module cannot run here, naming the field.
    public var refusal: String?
    /// Fields accepted without effect, as paths (`http.valid_http_versions`).
    public var ignored: [String] = []

    public init(from decoder: any Decoder) throws {
        let module = try BlackboxBlock(decoder.container(keyedBy: AnyCodingKey.self))
        prober = try module.required(String.self, "prober")
        let timeout = try module.value(ConfigDuration.self, "timeout")?.duration
        let kind: ProbeKind?
        switch prober {
        case "http": kind = .http
        case "tcp": kind = .tcp
        case "icmp": kind = .icmp
        case "dns": kind = .dns
        default: kind = nil
        }
        // blackbox_exporter reads only the block of its prober; the others are left alone.
        let blocks = ["http", "tcp", "icmp", "dns", "grpc"]
        var ignored = module.unread(except: blocks)
        for other in blocks where other != prober && module.has(other) { ignored.append(other) }
        guard let kind else {
            refusal = "prober: '\(prober)' is not one pingmesh runs (http, tcp, icmp, dns)"
            self.ignored = ignored
            return
        }
        var settings = Settings(kind: kind, timeout: timeout)
        let block = try module.nested(prober)
        var refused: [String] = []
        if let block {
            try Self.readCommon(block, into: &settings)
            switch kind {
            case .http: settings.http = try Self.readHTTP(block, refused: &refused)
            case .tcp: try Self.readTCP(block, refused: &refused)
            case .icmp: settings.payloadBytes = try block.value(Int.self, "payload_size")
            case .dns: settings.dns = try Self.readDNS(block, refused: &refused)
            default: break
            }
            ignored += block.unread(except: []).map { "\(prober).\($0)" }
        }
        if kind == .dns && settings.dns?.queryName == nil { refused.append("dns.query_name: required for a dns module") }
        self.ignored = ignored.sorted()
        if let first = refused.first {
            refusal = first
        } else {
            self.settings = settings
        }
    }

    /// preferred_ip_protocol (blackbox defaults to ip6 with fallback) and source_ip_address.
    private static func readCommon(_ block: BlackboxBlock, into settings: inout Settings) throws {
        let preferred = try block.value(String.self, "preferred_ip_protocol")
        let fallback = try block.value(Bool.self, "ip_protocol_fallback") ?? true
        switch (preferred, fallback) {
        case ("ip4", false): settings.ipProtocol = .ip4
        case ("ip6", false): settings.ipProtocol = .ip6
        case (nil, _), ("ip4", true), ("ip6", true): settings.ipProtocol = .both
        case (let other?, _): throw BlackboxBlock.invalid(block, "preferred_ip_protocol", "'\(other)' is not ip4 or ip6")
        }
        settings.sourceAddress = try block.value(String.self, "source_ip_address")
    }

    private static func readHTTP(_ block: BlackboxBlock, refused: inout [String]) throws -> HTTPProbeOptionsFile {
        var http = HTTPProbeOptionsFile()
        http.method = try block.value(String.self, "method")
        http.headers = try block.value([String: String].self, "headers")
        http.body = try block.value(String.self, "body")
        http.validStatusCodes = try block.value([Int].self, "valid_status_codes").map { $0.map { HTTPStatusPattern(String($0)) } }
        http.failIfBodyMatchesRegexp = try block.value([String].self, "fail_if_body_matches_regexp")
        http.failIfBodyNotMatchesRegexp = try block.value([String].self, "fail_if_body_not_matches_regexp")
        http.bodySizeLimit = try block.value(Int.self, "body_size_limit")
        if let tls = try block.nested("tls_config") {
            http.tlsConfig = HTTPTLSConfigFile(
                insecureSkipVerify: try tls.value(Bool.self, "insecure_skip_verify"), caFile: try tls.value(String.self, "ca_file"),
                serverName: try tls.value(String.self, "server_name"))
            for field in ["cert_file", "key_file"] where tls.has(field) { refused.append("http.tls_config.\(field): client certificates are not supported") }
            _ = tls.unread(except: ["cert_file", "key_file"])
        }
        for field in ["basic_auth", "bearer_token", "bearer_token_file", "oauth2", "proxy_url", "body_file", "fail_if_header_matches", "fail_if_header_not_matches", "fail_if_ssl", "fail_if_not_ssl"]
        where block.has(field) {
            refused.append("http.\(field): not supported by pingmesh's http probe")
        }
        return http
    }

    private static func readTCP(_ block: BlackboxBlock, refused: inout [String]) throws {
        if block.has("query_response") { refused.append("tcp.query_response: pingmesh's tcp probe only connects") }
        if try block.value(Bool.self, "tls") == true { refused.append("tcp.tls: pingmesh's tcp probe does not speak TLS (use an https http module)") }
    }

    private static func readDNS(_ block: BlackboxBlock, refused: inout [String]) throws -> DNSOptionsFile {
        var dns = DNSOptionsFile()
        dns.queryName = try block.value(String.self, "query_name")
        dns.queryType = try block.value(String.self, "query_type")
        dns.transport = try block.value(String.self, "transport_protocol")
        dns.validRcodes = try block.value([String].self, "valid_rcodes")
        if let answers = try block.nested("validate_answer_rrs") {
            dns.failIfNoneMatchesRegexp = try answers.value([String].self, "fail_if_none_matches_regexp")
            for field in ["fail_if_matches_regexp", "fail_if_not_matches_regexp", "fail_if_all_match_regexp"] where answers.has(field) {
                refused.append("dns.validate_answer_rrs.\(field): not supported (fail_if_none_matches_regexp is)")
            }
            _ = answers.unread(except: [])
        }
        for field in ["validate_authority_rrs", "validate_additional_rrs"] where block.has(field) {
            refused.append("dns.\(field): only answers are validated")
        }
        if try block.value(Bool.self, "dns_over_tls") == true { refused.append("dns.dns_over_tls: not supported") }
        if let queryClass = try block.value(String.self, "query_class"), queryClass.uppercased() != "IN" {
            refused.append("dns.query_class: only IN is asked")
        }
        return dns
    }
}

extension BlackboxConfigFile {
    /// Reads and decodes the file at `path`; errors name the file and the field.
    public static func load(path: String) throws(ConfigError) -> BlackboxConfigFile {
        let data = try ConfigDocument.read(path: path)
        return try ConfigDocument.decode(BlackboxConfigFile.self, from: data, file: path)
    }
}
