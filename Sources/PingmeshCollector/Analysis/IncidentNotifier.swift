import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import PingmeshModel

/// Sends incidents out: each opening and resolution as JSON to every webhook, and the state of
/// every incident to Alertmanager's API (`POST /api/v2/alerts`). Alertmanager forgets a firing
/// alert that is not sent again, so open incidents are re-sent every round, and a resolved one is
/// sent with its end time until Alertmanager has had it for a few rounds.
public final class IncidentNotifier: Sendable {
    public struct Configuration: Sendable {
        /// URLs that receive `{"change": "opened"|"resolved", "incident": {...}}`.
        public var webhooks: [String]
        /// Alertmanager base URLs (e.g. http://alertmanager:9093).
        public var alertmanagers: [String]
        /// Where a person can see the incident (the collector's UI), as the alerts' generatorURL.
        public var externalURL: String?
        public var timeout: Duration
        /// A PEM file of CA certificates trusted for HTTPS webhooks and Alertmanagers beside the
        /// system's (`--notify-ca-file`): an internal CA's receivers.
        public var caFile: String?

        public init(
            webhooks: [String] = [], alertmanagers: [String] = [], externalURL: String? = nil, timeout: Duration = .seconds(5),
            caFile: String? = nil
        ) {
            self.caFile = caFile
            self.webhooks = webhooks
            self.alertmanagers = alertmanagers
            self.externalURL = externalURL
            self.timeout = timeout
        }

        public var isEmpty: Bool { webhooks.isEmpty && alertmanagers.isEmpty }
    }

    public let configuration: Configuration
    private let client: HTTPClient
    private let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        var client = HTTPClient.Configuration()
        if let caFile = configuration.caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.file(caFile)]
            client.tlsConfiguration = tls
        }
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: client)
        self.logger = logger
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    /// Posts each event to every webhook; a failed delivery is logged and counted by the caller,
    /// never retried forever (the next change or the incidents API still tell the story).
    @discardableResult
    public func send(_ events: [IncidentEvent]) async -> Int {
        var failures = 0
        for event in events {
            let body: Data
            do { body = try Self.encoder.encode(event) } catch { continue }
            // The same change is sent again only when a replica took over before the last one
            // saved that it had sent it: the key lets a receiver drop the second copy.
            let key = "\(event.incident.id)/\(event.change.rawValue)"
            for url in configuration.webhooks where !(await post(url, body, idempotencyKey: key)) { failures += 1 }
        }
        return failures
    }

    /// Posts every open incident as firing and `resolved` ones with their end, to every
    /// Alertmanager.
    @discardableResult
    public func refreshAlerts(open: [Incident], resolved: [Incident], now: Date) async -> Int {
        guard !configuration.alertmanagers.isEmpty, !(open.isEmpty && resolved.isEmpty) else { return 0 }
        let alerts = open.map { alert($0, endsAt: now.addingTimeInterval(300)) } + resolved.map { alert($0, endsAt: nil) }
        guard let body = try? Self.alertEncoder.encode(alerts) else { return 0 }
        var failures = 0
        for base in configuration.alertmanagers {
            let url = base.hasSuffix("/") ? base + "api/v2/alerts" : base + "/api/v2/alerts"
            if !(await post(url, body)) { failures += 1 }
        }
        return failures
    }

    /// Alertmanager's postable alert.
    struct Alert: Encodable {
        var labels: [String: String]
        var annotations: [String: String]
        var startsAt: String
        var endsAt: String
        var generatorURL: String?
    }

    func alert(_ incident: Incident, endsAt: Date?) -> Alert {
        var labels = [
            "alertname": incident.network ? "PingmeshNetworkFault" : "PingmeshServerFault", "severity": incident.severity.rawValue,
            "kind": incident.kind.rawValue, "incident": incident.id,
        ]
        switch incident.component {
        case .server(let name): labels["server"] = name
        case .tor(let name, let podset): (labels["tor"], labels["podset"]) = (name, podset)
        case .leafTier(let podset, let datacenter): (labels["tier"], labels["podset"], labels["dc"]) = ("leaf", podset, datacenter)
        case .spineTier(let datacenter): (labels["tier"], labels["dc"]) = ("spine", datacenter)
        case .datacenterLink(let a, let b): labels["dc_link"] = "\(a)-\(b)"
        }
        let end = endsAt ?? Date(timeIntervalSince1970: TimeInterval(incident.endedAt ?? incident.lastSeenAt + 60))
        return Alert(
            labels: labels,
            annotations: [
                "summary": "\(incident.kind.rawValue) at \(incident.scope)", "description": incident.evidence.explanation,
                "examples": incident.evidence.examples.joined(separator: "; "),
            ],
            startsAt: Self.timestamp(Date(timeIntervalSince1970: TimeInterval(incident.startedAt))), endsAt: Self.timestamp(end),
            generatorURL: configuration.externalURL.map { "\($0)/#incident=\(incident.id)" })
    }

    private func post(_ url: String, _ body: Data, idempotencyKey: String? = nil) async -> Bool {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        request.headers.add(name: "User-Agent", value: "pingmesh-collector")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(configuration.timeout.nanoseconds))
            _ = try await response.body.collect(upTo: 64 * 1024)
            guard (200..<300).contains(Int(response.status.code)) else {
                logger.warning("incident notification refused", metadata: ["url": "\(url)", "status": "\(response.status.code)"])
                return false
            }
            return true
        } catch {
            logger.warning("incident notification failed", metadata: ["url": "\(url)", "error": "\(error)"])
            return false
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Alertmanager's keys are camelCase (startsAt, generatorURL): not the snake_case encoder.
    static let alertEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
