import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PingmeshModel

/// `pingmesh agent --controller URL[,URL...]`: pulls the agent's pinglist on a jittered period,
/// fails over between controllers, sends If-None-Match so an unchanged list costs a 304.
/// After `SafetyLimits.maximumFailedPulls` failed pulls in a row, or an explicit empty list, the
/// agent drops its list and stops probing while its responders keep answering (Pingmesh's
/// global kill switch); the next good pull resumes probing.
public struct ControllerPinglistSource: PinglistSource {
    public var controllers: [String]
    public var agentName: String
    public var token: String?
    public var period: Duration
    /// When set, the agent registers itself (and again when a controller does not know it).
    public var registration: AgentRegistration?
    public var requestTimeout: Duration
    /// Sent with every pull (`X-Pingmesh-Agent-Version`) for upgrade rollouts; nil sends nothing.
    public var agentVersion: String?
    public var logger: Logger
    private let client: HTTPClient

    public init(
        controllers: [String], agentName: String, token: String? = nil, period: Duration = .seconds(30),
        registration: AgentRegistration? = nil, requestTimeout: Duration = .seconds(5), agentVersion: String? = nil,
        client: HTTPClient = .shared, logger: Logger = Logger(label: "pingmesh.agent")
    ) {
        self.agentVersion = agentVersion
        self.controllers = controllers.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.agentName = agentName
        self.token = token
        self.period = period
        self.registration = registration
        self.requestTimeout = requestTimeout
        self.client = client
        self.logger = logger
    }

    enum PullResult {
        case list(Pinglist, etag: String?, controller: Int)
        case notModified(controller: Int)
        case unknownAgent
        case failed
    }

    public func run(metrics: AgentMetrics, deliver: @escaping @Sendable (Pinglist) async -> Void) async throws {
        var etag: String?
        var preferred = 0
        var failures = 0
        var stopped = false
        if registration != nil { await register() }

        while !Task.isCancelled {
            let result = await pull(preferred: preferred, etag: etag)
            switch result {
            case .list(let pinglist, let newTag, let controller):
                failures = 0
                preferred = controller
                etag = newTag
                metrics.pullFinished(.ok)
                if pinglist.targets.isEmpty {
                    logger.warning("the controller sent an empty pinglist: probing stops, responders keep answering")
                }
                stopped = pinglist.targets.isEmpty
                metrics.probingEnabled(!stopped)
                await deliver(pinglist)
            case .notModified(let controller):
                failures = 0
                preferred = controller
                metrics.pullFinished(.notModified)
            case .unknownAgent:
                failures += 1
                metrics.pullFinished(.unknownAgent)
                if registration != nil { await register() }
            case .failed:
                failures += 1
                metrics.pullFinished(.failed)
            }
            metrics.pullFailuresInARow(failures)
            if failures >= SafetyLimits.maximumFailedPulls, !stopped {
                logger.error(
                    "pinglist pulls failed \(failures) times in a row: probing stops until a pull succeeds; responders keep answering",
                    metadata: ["controllers": "\(controllers)"])
                stopped = true
                // Forget the version, so the first good pull brings the whole list back.
                etag = nil
                metrics.probingEnabled(false)
                await deliver(.empty)
            }
            let jitter = Double.random(in: 0.9...1.1)
            try await Task.sleep(for: period * jitter)
        }
    }

    /// One pull, trying every controller once, starting with the one that answered last.
    func pull(preferred: Int, etag: String?) async -> PullResult {
        var sawUnknown = false
        for offset in controllers.indices {
            let index = (preferred + offset) % controllers.count
            var request = HTTPClientRequest(
                url:
                    "\(controllers[index])/v1/pinglist/\(agentName.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? agentName)"
            )
            if let etag { request.headers.add(name: "If-None-Match", value: etag) }
            if let agentVersion { request.headers.add(name: AgentUpgradeHeaders.version, value: agentVersion) }
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            do {
                let response = try await client.execute(request, timeout: .nanoseconds(requestTimeout.nanoseconds))
                switch response.status {
                case .notModified:
                    return .notModified(controller: index)
                case .ok:
                    let body = try await response.body.collect(upTo: 64 * 1024 * 1024)
                    let source = "\(controllers[index])/v1/pinglist/\(agentName)"
                    do {
                        let (pinglist, _) = try PinglistDecoder.decode(Data(buffer: body), file: source)
                        return .list(pinglist, etag: response.headers.first(name: "ETag"), controller: index)
                    } catch {
                        logger.error(
                            "controller sent an invalid pinglist", metadata: ["controller": "\(controllers[index])", "errors": "\(error)"])
                    }
                case .notFound:
                    sawUnknown = true
                    logger.warning(
                        "controller does not know this agent", metadata: ["controller": "\(controllers[index])", "agent": "\(agentName)"])
                default:
                    logger.warning(
                        "pinglist pull refused", metadata: ["controller": "\(controllers[index])", "status": "\(response.status.code)"])
                }
            } catch {
                logger.warning("pinglist pull failed", metadata: ["controller": "\(controllers[index])", "error": "\(error)"])
            }
        }
        return sawUnknown ? .unknownAgent : .failed
    }

    /// Registers with the first controller that accepts; failures are logged and retried later.
    func register() async {
        guard let registration else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let body = try? encoder.encode(registration) else { return }
        for controller in controllers {
            var request = HTTPClientRequest(url: "\(controller)/v1/agents")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            request.body = .bytes(ByteBuffer(data: body))
            do {
                let response = try await client.execute(request, timeout: .nanoseconds(requestTimeout.nanoseconds))
                if response.status == .ok {
                    logger.info("registered with the controller", metadata: ["controller": "\(controller)"])
                    return
                }
                let reason = String(buffer: try await response.body.collect(upTo: 64 * 1024))
                logger.error(
                    "registration refused",
                    metadata: ["controller": "\(controller)", "status": "\(response.status.code)", "reason": "\(reason)"])
                if response.status == .badRequest || response.status == .conflict || response.status == .forbidden { return }
            } catch {
                logger.warning("registration failed", metadata: ["controller": "\(controller)", "error": "\(error)"])
            }
        }
    }
}
