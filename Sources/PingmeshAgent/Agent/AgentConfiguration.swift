import Foundation
import PingmeshHTTPSupport
import PingmeshModel
import PingmeshWire
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
    /// The UDP echo responder other agents probe; nil: none.
    public var udpListen: ListenAddress?
    public var responderLimits: ResponderLimits
    /// Full per-target RTT histograms; for small meshes only.
    public var metricsPerTarget: Bool
    /// The agent's version, sent with its results.
    public var version: String?
    /// Collector base URLs results are uploaded to, in order of preference; none: no upload.
    public var collectors: [String]
    /// Bearer token for the collector.
    public var uploadToken: String?
    /// Where batches wait for upload across restarts; nil keeps them in memory only.
    public var spoolDirectory: String?
    /// Result window length, one of `ResultBatch.allowedWindowSeconds`.
    public var windowSeconds: Int
    /// Most bytes the spool holds; beyond it the oldest batches are dropped.
    public var spoolMaxBytes: Int
    /// The upload body used with collectors that offer it (`--upload-format`); `.json` always
    /// sends JSON.
    public var uploadFormat: UploadFormat = .protobuf
    /// The address probes leave from when the pinglist names none (a multi-NIC host's probing
    /// interface; each simulated server's own loopback address); nil lets the kernel choose.
    public var probeSourceAddress: String?
    /// HTTPS for the agent's own listener (metrics, /ping); nil: plain HTTP.
    public var tls: ServerTLSContext?
    /// How the agent reaches controllers and collectors (TLS trust and client certificate).
    public var clients: AgentHTTPClients = .plain
    /// How often host names in the pinglist are resolved again (`NameRefresh`).
    public var nameRefreshInterval: Duration = .seconds(60)
    /// blackbox_exporter modules served at `/probe` (`--blackbox-config`); empty: no `/probe`.
    public var blackboxModules: [String: BlackboxModule] = [:]

    public static let defaultWindowSeconds = 60
    public static let defaultSpoolMaxBytes = 64 * 1024 * 1024

    public init(
        name: String, labels: [String: String] = [:],
        httpListen: ListenAddress = ListenAddress(host: "0.0.0.0", port: DefaultPorts.agentHTTP),
        tcpListen: ListenAddress = ListenAddress(host: "0.0.0.0", port: DefaultPorts.agentTCP),
        udpListen: ListenAddress? = ListenAddress(host: "0.0.0.0", port: DefaultPorts.agentUDP),
        responderLimits: ResponderLimits = ResponderLimits(), metricsPerTarget: Bool = false, version: String? = nil,
        collectors: [String] = [], uploadToken: String? = nil, spoolDirectory: String? = nil,
        windowSeconds: Int = AgentConfiguration.defaultWindowSeconds, spoolMaxBytes: Int = AgentConfiguration.defaultSpoolMaxBytes
    ) {
        self.name = name
        self.labels = labels
        self.httpListen = httpListen
        self.tcpListen = tcpListen
        self.udpListen = udpListen
        self.responderLimits = responderLimits
        self.metricsPerTarget = metricsPerTarget
        self.version = version
        self.collectors = collectors
        self.uploadToken = uploadToken
        self.spoolDirectory = spoolDirectory
        self.windowSeconds = windowSeconds
        self.spoolMaxBytes = spoolMaxBytes
        self.probeSourceAddress = nil
    }

    /// Whether results are uploaded.
    public var uploads: Bool { !collectors.isEmpty }

    /// What is wrong with the upload settings, each issue naming its command-line option. The
    /// agent's name and labels are checked by the collector's own rules, since a batch the
    /// collector refuses is lost.
    public func uploadIssues() -> [ConfigIssue] {
        guard uploads else { return [] }
        var issues: [ConfigIssue] = []
        for collector in collectors {
            let url = URL(string: collector)
            if url?.scheme.map({ ["http", "https"].contains($0.lowercased()) }) != true || (url?.host ?? "").isEmpty {
                issues.append(.init(path: "--collector", reason: "'\(collector)' is not an http:// or https:// URL"))
            }
        }
        if !ResultBatch.allowedWindowSeconds.contains(windowSeconds) {
            let allowed = ResultBatch.allowedWindowSeconds.sorted().map(String.init).joined(separator: ", ")
            issues.append(.init(path: "--window", reason: "\(windowSeconds) is not one of \(allowed) (seconds)"))
        }
        if spoolMaxBytes < 1024 * 1024 {
            issues.append(.init(path: "--spool-max-bytes", reason: "\(spoolMaxBytes) is below 1 MiB"))
        }
        if let token = uploadToken, token.isEmpty || token.contains(where: { $0.isWhitespace || $0.isNewline }) {
            issues.append(.init(path: "--collector-token-file", reason: "the token is empty or holds whitespace"))
        }
        let probe = ResultBatch(id: "validation", agent: name, labels: labels, createdAt: 0, windows: [])
        for issue in probe.validationIssues(now: 0) {
            let option = issue.path.hasPrefix("labels") ? "--labels" : "--name"
            issues.append(.init(path: option, reason: "the collector would refuse it: \(issue)"))
        }
        return issues
    }
}

/// Where a running agent actually listens (the real ports when 0 was asked for).
public struct AgentEndpoints: Sendable {
    public var name: String
    public var http: ListenAddress
    public var tcp: ListenAddress
    /// The UDP echo responder, when the agent runs one.
    public var udp: ListenAddress?
}
