import PingmeshModel
import PingmeshProbe

/// A host and port to listen on.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[IPv6]:PORT`; `field` names the option in the error.
    public init(parsing text: String, field: String) throws(ConfigError) {
        guard let (host, port) = HostPort.split(text), let port, (0...65535).contains(port), !host.isEmpty else {
            throw ConfigError(
                file: "command line", issues: [.init(path: field, reason: "'\(text)' is not HOST:PORT with a port in 0...65535")])
        }
        self.init(host: host, port: port)
    }

    public var description: String { HostPort.join(host, port) }
}

/// Everything an agent needs besides its pinglist.
public struct AgentConfiguration: Sendable {
    /// The agent's identity in metrics and, later, at the controller.
    public var name: String
    public var labels: [String: String]
    /// `/metrics`, `/ping` and `/healthz`.
    public var httpListen: ListenAddress
    /// The TCP responder other agents probe.
    public var tcpListen: ListenAddress
    public var responderLimits: ResponderLimits
    /// Full per-target RTT histograms; for small meshes only.
    public var metricsPerTarget: Bool

    public init(
        name: String, labels: [String: String] = [:],
        httpListen: ListenAddress = ListenAddress(host: "0.0.0.0", port: DefaultPorts.agentHTTP),
        tcpListen: ListenAddress = ListenAddress(host: "0.0.0.0", port: DefaultPorts.agentTCP),
        responderLimits: ResponderLimits = ResponderLimits(), metricsPerTarget: Bool = false
    ) {
        self.name = name
        self.labels = labels
        self.httpListen = httpListen
        self.tcpListen = tcpListen
        self.responderLimits = responderLimits
        self.metricsPerTarget = metricsPerTarget
    }
}

/// Where a running agent actually listens (the real ports when 0 was asked for).
public struct AgentEndpoints: Sendable {
    public var name: String
    public var http: ListenAddress
    public var tcp: ListenAddress
}
