/// A pinglist's `http:` block as written, on a group or on one target (the target's fields win,
/// field by field). Field names follow blackbox_exporter's `http` prober module.
public struct HTTPProbeOptionsFile: Sendable, Hashable, Codable {
    /// `http` or `https`; `https` when a `tls_config` is given and no scheme is.
    public var scheme: String?
    public var method: String?
    public var path: String?
    public var headers: [String: String]?
    public var body: String?
    public var validStatusCodes: [HTTPStatusPattern]?
    public var failIfBodyMatchesRegexp: [String]?
    public var failIfBodyNotMatchesRegexp: [String]?
    public var bodySizeLimit: Int?
    public var tlsConfig: HTTPTLSConfigFile?

    public init(
        scheme: String? = nil, method: String? = nil, path: String? = nil, headers: [String: String]? = nil, body: String? = nil,
        validStatusCodes: [HTTPStatusPattern]? = nil, failIfBodyMatchesRegexp: [String]? = nil,
        failIfBodyNotMatchesRegexp: [String]? = nil, bodySizeLimit: Int? = nil, tlsConfig: HTTPTLSConfigFile? = nil
    ) {
        self.scheme = scheme
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.validStatusCodes = validStatusCodes
        self.failIfBodyMatchesRegexp = failIfBodyMatchesRegexp
        self.failIfBodyNotMatchesRegexp = failIfBodyNotMatchesRegexp
        self.bodySizeLimit = bodySizeLimit
        self.tlsConfig = tlsConfig
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case scheme, method, path, headers, body
        case validStatusCodes = "valid_status_codes"
        case failIfBodyMatchesRegexp = "fail_if_body_matches_regexp"
        case failIfBodyNotMatchesRegexp = "fail_if_body_not_matches_regexp"
        case bodySizeLimit = "body_size_limit"
        case tlsConfig = "tls_config"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            scheme: try container.decodeIfPresent(String.self, forKey: .scheme),
            method: try container.decodeIfPresent(String.self, forKey: .method),
            path: try container.decodeIfPresent(String.self, forKey: .path),
            headers: try container.decodeIfPresent([String: String].self, forKey: .headers),
            body: try container.decodeIfPresent(String.self, forKey: .body),
            validStatusCodes: try container.decodeIfPresent([HTTPStatusPattern].self, forKey: .validStatusCodes),
            failIfBodyMatchesRegexp: try container.decodeIfPresent([String].self, forKey: .failIfBodyMatchesRegexp),
            failIfBodyNotMatchesRegexp: try container.decodeIfPresent([String].self, forKey: .failIfBodyNotMatchesRegexp),
            bodySizeLimit: try container.decodeIfPresent(Int.self, forKey: .bodySizeLimit),
            tlsConfig: try container.decodeIfPresent(HTTPTLSConfigFile.self, forKey: .tlsConfig)
        )
    }

    /// These fields laid over `base`'s: what a target's block means inside its group's.
    public func overriding(_ base: HTTPProbeOptionsFile?) -> HTTPProbeOptionsFile {
        guard let base else { return self }
        return HTTPProbeOptionsFile(
            scheme: scheme ?? base.scheme, method: method ?? base.method, path: path ?? base.path,
            headers: headers ?? base.headers, body: body ?? base.body, validStatusCodes: validStatusCodes ?? base.validStatusCodes,
            failIfBodyMatchesRegexp: failIfBodyMatchesRegexp ?? base.failIfBodyMatchesRegexp,
            failIfBodyNotMatchesRegexp: failIfBodyNotMatchesRegexp ?? base.failIfBodyNotMatchesRegexp,
            bodySizeLimit: bodySizeLimit ?? base.bodySizeLimit,
            tlsConfig: tlsConfig.map { $0.overriding(base.tlsConfig) } ?? base.tlsConfig
        )
    }
}

/// An entry of `valid_status_codes`: a number (`204`) or text (`"200-299"`, `"2xx"`), kept as
/// written until validation reads it.
public struct HTTPStatusPattern: Sendable, Hashable, Codable, ExpressibleByStringLiteral {
    public var text: String

    public init(_ text: String) { self.text = text }
    public init(stringLiteral text: String) { self.text = text }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            text = String(number)
        } else {
            text = try container.decode(String.self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let number = Int(text) { try container.encode(number) } else { try container.encode(text) }
    }
}
