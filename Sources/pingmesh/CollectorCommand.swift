import ArgumentParser
import Foundation
import Logging
import PingmeshAgent
import PingmeshCollector
import PingmeshHTTPSupport
import PingmeshModel
import ServiceLifecycle

/// `pingmesh collector`: store what agents upload, roll it up and serve the queries.
struct CollectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collector",
        abstract: "Store agents' window summaries and failures, roll them up, and serve the query API (POST /v1/results).",
        discussion: """
            Batches are acknowledged only after a durable commit, and a batch id seen before is acknowledged and \
            ignored, so agents' retries never lose or double-count data. Rows are rolled up 1 min -> 10 min -> 1 h -> \
            1 day at the server, ToR, pod, podset and DC levels; late data is folded into the windows it belongs to.
            """
    )

    @Option(help: "Where to store: sqlite:PATH (embedded) or postgres://USER:PASSWORD@HOST:PORT/DATABASE.")
    var store: String = "sqlite:./pingmesh-data/results.db"

    @Option(help: "HTTP listener.")
    var listen: String = "0.0.0.0:\(DefaultPorts.collector)"

    @Option(help: "Bearer tokens file: tokens: [{token: ..., scope: agent|admin}]. Uploads need an agent token when set; without it admin operations are closed.")
    var tokens: String?

    @Flag(help: "Without tokens, admin operations (fault injection, POST /v1/probe) need a token and are refused: open them to anyone who reaches the collector, for a lab only. Not with --tokens.")
    var insecureOpenAdmin = false

    @Option(help: "Retention: failures, 1m, 10m, 1h, 1d, e.g. 'failures=7d,1m=2d,10m=14d,1h=90d,1d=730d'.")
    var retention: String?

    @Option(help: "Seconds between rollup passes.")
    var rollupInterval: Int = 10

    @Option(help: "A URL that receives every incident opened and resolved as JSON (repeatable).")
    var webhook: [String] = []

    @Option(help: "An Alertmanager base URL, e.g. http://alertmanager:9093; incidents are posted to /api/v2/alerts (repeatable).")
    var alertmanager: [String] = []

    @Option(help: "The collector's URL as people reach it, for links in alerts.")
    var externalURL: String?

    @Option(help: "PEM file of CA certificates to trust, beside the system's, for HTTPS webhooks and Alertmanagers.")
    var notifyCaFile: String?

    @Flag(help: "Let the web UI's probe form (POST /v1/probe, admin token when tokens are set) probe from this host.")
    var manualProbe = false

    @Option(help: "A controller's URL: when a network incident opens, its worst pairs' source agents run a traceroute (a task) and the hop where loss starts joins the incident.")
    var controller: String?

    @Option(help: "A file holding an admin token for --controller, when the controller requires tokens.")
    var controllerTokenFile: String?

    @Option(help: "The controller's topology file: its fabric section (tiers, devices) tells analysis the fabric's shape and names traceroute hops.")
    var topology: String?

    @Option(help: "Serve the web UI from this directory instead of the copy built into the binary (for UI work).")
    var uiDir: String?

    @OptionGroup var tls: ServerTLSOptions
    /// How traceroute requests reach an HTTPS --controller.
    @OptionGroup var clientTLS: ClientTLSOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        try logging.bootstrap()
        let logger = Logger(label: "pingmesh.collector")
        let (configuration, location): (Collector.Configuration, StoreLocation)
        do {
            let listen = try ListenAddressParser.parse(self.listen, field: "--listen")
            guard (1...3600).contains(rollupInterval) else { throw ValidationError("--rollup-interval: \(rollupInterval) is outside 1...3600") }
            location = try StoreLocation(parsing: store)
            var traceroutes: TracerouteRequester.Configuration?
            if let controller {
                var token: String?
                if let path = controllerTokenFile {
                    do {
                        token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                    } catch {
                        throw ValidationError("--controller-token-file: cannot read \(path): \(error.localizedDescription)")
                    }
                }
                traceroutes = .init(controller: try httpURL(controller, field: "--controller"), token: token, tls: try clientTLS.configuration())
            } else if controllerTokenFile != nil {
                throw ValidationError("--controller-token-file: needs --controller")
            } else if try clientTLS.configuration() != nil {
                throw ValidationError("--ca-file, --client-cert, --client-key: only for --controller")
            }
            if notifyCaFile != nil, webhook.isEmpty, alertmanager.isEmpty {
                throw ValidationError("--notify-ca-file: only with --webhook or --alertmanager")
            }
            var configured = Collector.Configuration(
                host: listen.host, port: listen.port,
                tokens: try AdminAccess.tokens(file: tokens, openAdmin: insecureOpenAdmin),
                retention: try retention.map { try RetentionParser.parse($0) } ?? Retention(), rollupInterval: .seconds(rollupInterval),
                notifications: .init(
                    webhooks: try webhook.map { try httpURL($0, field: "--webhook") },
                    alertmanagers: try alertmanager.map { try httpURL($0, field: "--alertmanager") },
                    externalURL: try externalURL.map { try httpURL($0, field: "--external-url") },
                    caFile: try notifyCaFile.map { try Self.pemCertificates($0, field: "--notify-ca-file") }),
                tools: OperatorTools(uiDirectory: try uiDir.map { try UpCommand.directory($0, field: "--ui-dir") }, manualProbe: manualProbe ? ManualProbe() : nil))
            configured.traceroutes = traceroutes
            configured.tls = try tls.context()
            if let topology {
                configured.fabric = try ConfigDocument.decode(TopologyFile.self, from: ConfigDocument.read(path: topology), file: topology)
                    .validated(file: topology).fabric
            }
            configuration = configured
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(error)")
        }
        let resultStore = try await StoreFactory.open(location, logger: logger)
        let collector = Collector(configuration: configuration, store: resultStore, logger: logger) { port in
            logger.info("collector running", metadata: ["url": "\(configuration.tls == nil ? "http" : "https")://\(HostPort.join(configuration.host, port))", "store": "\(location)"])
        }
        try await ServiceGroup(services: [collector], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}

/// `failures=7d,1m=2d,...` into a `Retention`.
enum RetentionParser {
    static func parse(_ text: String) throws -> Retention {
        var retention = Retention()
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pieces.count == 2, let duration = ConfigDuration(parsing: pieces[1]), duration.duration >= .seconds(60) else {
                throw ValidationError("--retention: '\(part)' is not KEY=DURATION with a duration of at least 1m")
            }
            let seconds = duration.duration.components.seconds
            switch pieces[0] {
            case "failures": retention.failures = seconds
            case "1m": retention.minute = seconds
            case "10m": retention.tenMinutes = seconds
            case "1h": retention.hour = seconds
            case "1d": retention.day = seconds
            default: throw ValidationError("--retention: '\(pieces[0])' is not one of failures, 1m, 10m, 1h, 1d")
            }
        }
        return retention
    }
}

/// An http(s) URL with a host, or an error naming the option.
private func httpURL(_ text: String, field: String) throws -> String {
    guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host?.isEmpty == false
    else { throw ValidationError("\(field): '\(text)' is not an http:// or https:// URL with a host") }
    return text
}

extension CollectorCommand {
    /// `path`, when it holds at least one PEM certificate; a usage error naming `field` otherwise.
    static func pemCertificates(_ path: String, field: String) throws -> String {
        do {
            guard try !ServerTLSFiles.certificates(path, role: "CA").isEmpty else {
                throw ValidationError("\(field): \(path) holds no PEM certificate")
            }
        } catch let error as TLSSetupError {
            throw ValidationError("\(field): \(error)")
        }
        return path
    }
}
