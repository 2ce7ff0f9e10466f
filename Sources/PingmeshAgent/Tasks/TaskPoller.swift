import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PingmeshModel

/// Fetches the agent's tasks from every controller with a long poll (a new task starts within
/// a second, not at the next pinglist pull), runs them through a `TaskRunner` and posts each
/// result to the controller that handed the task out. Every controller is polled, not just one:
/// tasks live in the replica that accepted them.
public struct TaskPoller: Sendable {
    public var controllers: [String]
    public var agentName: String
    public var token: String?
    /// Seconds each long poll may wait at the controller.
    public var wait: Int
    public var runner: TaskRunner
    /// Sent with every poll (`X-Pingmesh-Agent-Version`), so a controller rolling out an upgrade
    /// knows who runs what; nil sends nothing.
    public var agentVersion: String?
    /// Installs upgrade offers (`--self-upgrade`); nil: the agent says it does not, and gets none.
    public var upgrader: SelfUpgrader?
    public var logger: Logger
    let client: HTTPClient

    public init(
        controllers: [String], agentName: String, token: String? = nil, wait: Int = 25, runner: TaskRunner,
        agentVersion: String? = nil, upgrader: SelfUpgrader? = nil, client: HTTPClient = TaskPoller.longPollClient,
        logger: Logger = Logger(label: "pingmesh.agent")
    ) {
        self.agentVersion = agentVersion
        self.upgrader = upgrader
        self.controllers = controllers.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.agentName = agentName
        self.token = token
        self.wait = wait
        self.runner = runner
        self.client = client
        self.logger = logger
    }

    /// Long polls hold a connection each for up to `wait` seconds. They get a client of their own,
    /// so they never queue pinglist pulls and uploads behind them, with room for one poll per
    /// agent where many agents share a process (`pingmesh up`): the shared client allows only
    /// 8 connections per host.
    public static let longPollClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 1024
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    private var escapedName: String { agentName.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? agentName }

    /// Polls until cancelled; each poll carries `heartbeat()` (the agent's health) when given.
    public func run(heartbeat: (@Sendable () -> AgentHeartbeat)? = nil) async {
        await withDiscardingTaskGroup { group in
            for controller in controllers {
                group.addTask { await poll(controller, heartbeat: heartbeat) }
            }
        }
    }

    /// One controller's loop: the fetches run in the group's body, each admitted task as a
    /// child, so a long traceroute never holds up the next fetch.
    private func poll(_ controller: String, heartbeat: (@Sendable () -> AgentHeartbeat)?) async {
        await withDiscardingTaskGroup { group in
            var failures = 0
            while !Task.isCancelled {
                guard let answer = await fetch(controller, heartbeat: heartbeat?()) else {
                    failures += 1
                    // 1 s, 2 s, 4 s ... up to 60 s while the controller is away.
                    try? await Task.sleep(for: .seconds(min(60, 1 << min(failures - 1, 6))))
                    continue
                }
                failures = 0
                if let offer = answer.upgrade, await upgrade(offer, from: controller) == .installed {
                    // Shutting down: a poll from the old process would tell the controller the
                    // agent is back.
                    while !Task.isCancelled { try? await Task.sleep(for: .seconds(1)) }
                    return
                }
                for dispatch in answer.tasks where runner.admit(dispatch) {
                    group.addTask {
                        let outcome = await runner.run(dispatch)
                        await report(outcome, of: dispatch, to: controller)
                    }
                }
            }
        }
    }

    /// The tasks the controller hands out now (after up to `wait` seconds); nil when the
    /// request failed.
    func fetch(_ controller: String, heartbeat: AgentHeartbeat? = nil) async -> AgentTaskList? {
        var request = HTTPClientRequest(url: "\(controller)/v1/agent-tasks/\(escapedName)?wait=\(wait)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let heartbeat { request.headers.add(name: AgentHeartbeat.header, value: heartbeat.headerValue) }
        if let agentVersion { request.headers.add(name: AgentUpgradeHeaders.version, value: agentVersion) }
        if upgrader != nil { request.headers.add(name: AgentUpgradeHeaders.selfUpgrade, value: "on") }
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(wait) + 10))
            let body = try await response.body.collect(upTo: 4 * 1024 * 1024)
            guard response.status == .ok else {
                logger.warning(
                    "task poll refused",
                    metadata: ["controller": "\(controller)", "status": "\(response.status.code)", "body": "\(String(buffer: body).prefix(200))"])
                return nil
            }
            return try JSONDecoder().decode(AgentTaskList.self, from: Data(buffer: body))
        } catch {
            if !Task.isCancelled {
                logger.debug("task poll failed", metadata: ["controller": "\(controller)", "error": "\(error)"])
            }
            return nil
        }
    }

    /// Posts a result, retrying a few times: the controller keeps results only from agents
    /// that send them.
    func report(_ outcome: TaskOutcome, of dispatch: TaskDispatch, to controller: String) async {
        for attempt in 0..<3 {
            if attempt > 0 { try? await Task.sleep(for: .seconds(attempt)) }
            var request = HTTPClientRequest(url: "\(controller)/v1/agent-tasks/\(escapedName)/\(dispatch.id)")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            do {
                request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(outcome)))
                let response = try await client.execute(request, timeout: .seconds(10))
                let body = try await response.body.collect(upTo: 64 * 1024)
                // 2xx stored; 4xx will not change on a retry (expired and forgotten, or sent before).
                if (200..<500).contains(response.status.code) {
                    if response.status.code >= 300 {
                        logger.warning(
                            "task result refused",
                            metadata: ["task": "\(dispatch.id)", "status": "\(response.status.code)", "body": "\(String(buffer: body).prefix(200))"])
                    }
                    return
                }
            } catch {
                logger.debug("task result post failed", metadata: ["task": "\(dispatch.id)", "error": "\(error)"])
            }
        }
        logger.warning("task result lost after 3 attempts", metadata: ["task": "\(dispatch.id)", "controller": "\(controller)"])
    }
}

/// The body of `GET /v1/agent-tasks/{agent}`.
struct AgentTaskList: Decodable {
    var tasks: [TaskDispatch]
    /// Present when the controller offers this agent an upgrade.
    var upgrade: UpgradeOffer?
}
