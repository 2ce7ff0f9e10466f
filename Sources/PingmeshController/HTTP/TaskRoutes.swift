import Foundation
import HTTPTypes
import Hummingbird
import PingmeshModel

/// The task routes: admins create and read tasks (`/v1/tasks`); agents long-poll for theirs and
/// post each result once (`/v1/agent-tasks/{agent}`).
enum TaskRoutes {
    /// Longest long poll an agent may ask for; proxies and load balancers commonly cut idle
    /// requests at 60 s.
    static let maximumWait = 30
    /// A result may carry a traceroute over several paths.
    static let maximumResultBytes = 256 * 1024

    static func add(to router: Router<BasicRequestContext>, state: ControllerState, tasks: TaskBoard, upgrades: UpgradeRollout) {
        router.post("/v1/tasks") { request, _ -> Response in
            let body = try await ControllerAPI.collect(request)
            let spec: TaskSpec
            do {
                spec = try ConfigDocument.decode(TaskSpec.self, from: body, file: "request body")
            } catch {
                throw HTTPError(.badRequest, message: "\(error)".replacingOccurrences(of: "\n", with: "; "))
            }
            let agents = AgentListing.make(state: state).agents.map { (name: $0.name, labels: $0.labels) }
            do {
                let status = try tasks.create(spec, agents: agents)
                var response = try ControllerAPI.json(status)
                response.status = .created
                response.headers[.location] = "/v1/tasks/\(status.id)"
                return response
            } catch let error as TaskBoard.BoardError {
                throw httpError(error)
            }
        }

        router.get("/v1/tasks") { _, _ -> Response in
            try ControllerAPI.json(TaskList(tasks: tasks.all().map(TaskList.Summary.init)))
        }

        router.get("/v1/tasks/:id") { _, context -> Response in
            let id = try context.parameters.require("id")
            guard let status = tasks.status(id) else { throw httpError(.unknownTask(id)) }
            return try ControllerAPI.json(status)
        }

        router.get("/v1/agent-tasks/:agent") { request, context -> Response in
            let agent = try context.parameters.require("agent")
            let wait = try waitSeconds(request.uri.queryParameters["wait"].map(String.init))
            state.seen(agent: agent, heartbeat: request.headers[HTTPField.Name(AgentHeartbeat.header)!].flatMap(AgentHeartbeat.init(headerValue:)))
            let (version, selfUpgrade) = UpgradeRoutes.identity(request)
            // An offer answers at once; otherwise a slot freed during the wait is offered at its end.
            if let offer = upgrades.offer(agent: agent, version: version, selfUpgrade: selfUpgrade) {
                return try ControllerAPI.json(AgentTasks(tasks: tasks.take(agent: agent), upgrade: offer))
            }
            let handed = await tasks.waitForTasks(agent: agent, wait: .seconds(wait))
            let offer = upgrades.offer(agent: agent, version: version, selfUpgrade: selfUpgrade)
            return try ControllerAPI.json(AgentTasks(tasks: handed, upgrade: offer))
        }

        router.post("/v1/agent-tasks/:agent/:id") { request, context -> Response in
            let agent = try context.parameters.require("agent")
            let id = try context.parameters.require("id")
            let body = try await ControllerAPI.collect(request, limit: maximumResultBytes)
            let outcome: TaskOutcome
            do {
                outcome = try ConfigDocument.decode(TaskOutcome.self, from: body, file: "request body")
            } catch {
                throw HTTPError(.badRequest, message: "\(error)".replacingOccurrences(of: "\n", with: "; "))
            }
            do {
                try tasks.report(task: id, agent: agent, outcome: outcome)
            } catch let error as TaskBoard.BoardError {
                throw httpError(error)
            }
            return Response(status: .noContent)
        }
    }

    /// `wait` in whole seconds, 0 (answer at once) to `maximumWait`.
    static func waitSeconds(_ text: String?) throws -> Int {
        guard let text else { return 0 }
        guard let seconds = Int(text), (0...maximumWait).contains(seconds) else {
            throw HTTPError(.badRequest, message: "wait: '\(text)' is not a whole number of seconds in 0...\(maximumWait)")
        }
        return seconds
    }

    static func httpError(_ error: TaskBoard.BoardError) -> HTTPError {
        switch error {
        case .invalid, .noAgents: return HTTPError(.badRequest, message: error.description)
        case .full: return HTTPError(.tooManyRequests, message: error.description)
        case .unknownTask, .notChosen: return HTTPError(.notFound, message: error.description)
        case .alreadyReported: return HTTPError(.conflict, message: error.description)
        }
    }
}

/// `GET /v1/agent-tasks/{agent}`.
struct AgentTasks: Codable {
    var tasks: [TaskDispatch]
    /// Present only when this agent holds a slot in the upgrade wave.
    var upgrade: UpgradeOffer?
}

/// `GET /v1/tasks`: kept tasks, newest first, without per-agent results.
struct TaskList: Encodable {
    struct Summary: Encodable {
        var id: String
        var selector: String
        var action: TaskAction
        var createdAt: Int64
        var expiresAt: Int64
        var progress: TaskStatus.Progress

        init(_ status: TaskStatus) {
            (id, selector, action, createdAt, expiresAt, progress) = (
                status.id, status.selector, status.action, status.createdAt, status.expiresAt, status.progress
            )
        }

        enum CodingKeys: String, CodingKey {
            case id, selector, action, progress
            case createdAt = "created_at"
            case expiresAt = "expires_at"
        }
    }

    var tasks: [Summary]
}
