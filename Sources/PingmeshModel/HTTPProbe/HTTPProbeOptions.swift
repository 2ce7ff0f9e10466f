/// How an HTTP target is probed, defaults applied (blackbox_exporter's `http` module, per target):
/// the request to send, the TLS to speak and what a good answer looks like. A target without
/// options is an agent's `/ping`, answered within 2xx.
public struct HTTPProbeOptions: Sendable, Hashable {
    /// A response body read beyond this many bytes fails the probe: a misconfigured target
    /// streaming gigabytes must not take the agent's memory with it.
    public static let defaultBodySizeLimit = 1 << 20
    public static let maximumBodySizeLimit = 16 << 20
    /// A request body is a probe's, not a load test's.
    public static let maximumRequestBodyBytes = SafetyLimits.maximumPayloadBytes

    public var method: String
    /// Path and query; nil asks an agent's `/ping` (`?size=N` with a payload).
    public var path: String?
    /// Extra request headers; a `Host` here replaces the prober's own.
    public var headers: [String: String]
    public var body: String?
    /// Statuses that pass; anything else fails validation.
    public var validStatusCodes: [HTTPStatusRange]
    /// Patterns (NSRegularExpression syntax) the body must not match, and must all match.
    public var failIfBodyMatchesRegexp: [String]
    public var failIfBodyNotMatchesRegexp: [String]
    public var bodySizeLimit: Int
    /// nil speaks plain HTTP.
    public var tls: HTTPTLSOptions?
    /// The target's host name when it was written as one (not an IP literal): the Host header and
    /// the TLS server name default to it, as a browser's would.
    public var hostName: String?

    public init(
        method: String = "GET", path: String? = nil, headers: [String: String] = [:], body: String? = nil,
        validStatusCodes: [HTTPStatusRange] = [.success], failIfBodyMatchesRegexp: [String] = [],
        failIfBodyNotMatchesRegexp: [String] = [], bodySizeLimit: Int = HTTPProbeOptions.defaultBodySizeLimit,
        tls: HTTPTLSOptions? = nil, hostName: String? = nil
    ) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.validStatusCodes = validStatusCodes
        self.failIfBodyMatchesRegexp = failIfBodyMatchesRegexp
        self.failIfBodyNotMatchesRegexp = failIfBodyNotMatchesRegexp
        self.bodySizeLimit = bodySizeLimit
        self.tls = tls
        self.hostName = hostName
    }

    /// The request target: the configured path, or an agent's `/ping` sized by the payload.
    public func requestPath(payloadBytes: Int) -> String {
        path ?? (payloadBytes > 0 ? "/ping?size=\(payloadBytes)" : "/ping")
    }

    public var scheme: String { tls == nil ? "http" : "https" }

    /// The target's id when the options make it a different target from `http://host:port`
    /// (another scheme or path), so one server's several URLs can each be probed; nil keeps the
    /// plain id, and with it the round phase and metrics of existing agent targets.
    public func targetID(host: String, port: Int) -> String? {
        guard tls != nil || path != nil else { return nil }
        return "\(scheme)://\(HostPort.join(host, port))\(path ?? "")"
    }

    /// Whether `status` passes.
    public func accepts(status: Int) -> Bool {
        validStatusCodes.contains { $0.contains(status) }
    }
}
