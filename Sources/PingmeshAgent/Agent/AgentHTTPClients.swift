import AsyncHTTPClient
import NIOSSL

/// The HTTP clients an agent talks to controllers and collectors with: one for pinglist pulls,
/// registrations and downloads, one for uploads (short connect timeout, for fast failover), one
/// for task long polls (many connections). With TLS settings (a fleet CA, a client certificate
/// for mutual TLS) each is built with them; without, the process-wide plain clients are used.
public struct AgentHTTPClients: Sendable {
    public var standard: HTTPClient
    public var upload: HTTPClient
    public var longPoll: HTTPClient

    public static let plain = AgentHTTPClients(standard: .shared, upload: ResultUploader.sharedClient, longPoll: TaskPoller.longPollClient)

    public init(standard: HTTPClient, upload: HTTPClient, longPoll: HTTPClient) {
        self.standard = standard
        self.upload = upload
        self.longPoll = longPoll
    }

    /// Clients that trust and present what `tls` says; they live as long as the process.
    public static func with(tls: TLSConfiguration) -> AgentHTTPClients {
        func client(_ adjust: (inout HTTPClient.Configuration) -> Void) -> HTTPClient {
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
            adjust(&configuration)
            return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        }
        return AgentHTTPClients(
            standard: client { _ in },
            upload: client { $0.timeout.connect = .seconds(2) },
            longPoll: client { $0.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 1024 })
    }
}
