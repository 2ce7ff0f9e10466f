import Foundation
import Hummingbird
import Logging
import NIOCore
import PingmeshHTTPSupport
import PingmeshModel

/// The controller's HTTP API (default port 9310), as documented in openapi.yaml.
public enum ControllerAPI {
    /// Every route, for the router and for the test that holds openapi.yaml to it.
    public static let routes: [(method: HTTPRequest.Method, path: String)] = [
        (.get, "/v1/pinglist/{agent}"),
        (.get, "/v1/agents"),
        (.post, "/v1/agents"),
        (.post, "/v1/peer-registrations"),
        (.get, "/v1/topology"),
        (.post, "/v1/tasks"),
        (.get, "/v1/tasks"),
        (.get, "/v1/tasks/{id}"),
        (.get, "/v1/agent-tasks/{agent}"),
        (.post, "/v1/agent-tasks/{agent}/{id}"),
        (.put, "/v1/upgrade"),
        (.get, "/v1/upgrade"),
        (.delete, "/v1/upgrade"),
        (.post, "/v1/agent-upgrade/{agent}"),
        (.get, "/metrics"),
        (.get, "/healthz"),
        (.get, "/readyz"),
    ]

    /// Largest request body accepted (a registration is a few hundred bytes).
    static let maxBodyBytes = 64 * 1024
    /// A peer's push holds every registration it knows: 100,000 agents in about 20 MB.
    static let maxPeerBodyBytes = 64 * 1024 * 1024

    /// The answer to a peer's push: how many entries were taken, and the agents refused (clashes).
    struct PeerMergeReply: Encodable {
        var merged: Int
        var refused: [String]
    }

    public static func router(
        state: ControllerState, tasks: TaskBoard = TaskBoard(), upgrades: UpgradeRollout = UpgradeRollout(), tokens: AccessTokens
    ) -> Router<BasicRequestContext> {
        let router = Router()
        state.metrics.adminAccess(openToAnyone: tokens.adminOpenToAnyone)
        router.add(
            middleware: BearerAuthMiddleware(
                tokens: tokens,
                requirements: [
                    ("/v1/pinglist/", nil, .agent),
                    ("/v1/agents", .post, .agent),
                    // Replicas push what agents told them; an agent token may register anyway.
                    ("/v1/peer-registrations", .post, .agent),
                    ("/v1/agents", .get, .admin),
                    ("/v1/topology", nil, .admin),
                    // Agents fetch and answer their own tasks; only admins create or read them.
                    ("/v1/agent-tasks/", nil, .agent),
                    ("/v1/tasks", nil, .admin),
                    // Agents report their own failed installs; only admins start or read a rollout.
                    ("/v1/agent-upgrade/", nil, .agent),
                    ("/v1/upgrade", nil, .admin),
                ]))
        TaskRoutes.add(to: router, state: state, tasks: tasks, upgrades: upgrades)
        UpgradeRoutes.add(to: router, upgrades: upgrades)

        router.get("/v1/pinglist/:agent") { request, context -> Response in
            let agent = try context.parameters.require("agent")
            guard let snapshot = state.snapshot else {
                throw HTTPError(.serviceUnavailable, message: "no plan yet: the controller knows no servers")
            }
            state.seen(agent: agent)
            upgrades.observe(agent: agent, version: UpgradeRoutes.identity(request).version)
            guard let version = snapshot.version(for: agent) else {
                state.metrics.pinglistServed(status: 404)
                throw HTTPError(
                    .notFound,
                    message:
                        "agent '\(agent)' is not in the topology\(state.configuration.registrationEnabled ? " (register with POST /v1/agents)" : "")"
                )
            }
            let etag = "\"\(version)\""
            if let match = request.headers[.ifNoneMatch],
                match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag })
            {
                state.metrics.pinglistServed(status: 304)
                return Response(status: .notModified, headers: [.eTag: etag])
            }
            guard let (body, _) = snapshot.pinglist(for: agent) else { throw HTTPError(.notFound) }
            state.metrics.pinglistServed(status: 200)
            return Response(
                status: .ok, headers: [.contentType: "application/json", .eTag: etag, .cacheControl: "no-cache"],
                body: ResponseBody(byteBuffer: ByteBuffer(data: body)))
        }

        router.post("/v1/agents") { request, _ -> Response in
            guard state.configuration.registrationEnabled else {
                throw HTTPError(.forbidden, message: "registration is off on this controller (--no-registration)")
            }
            let body = try await collect(request)
            let registration: AgentRegistration
            do {
                registration = try ConfigDocument.decode(AgentRegistration.self, from: body, file: "request body")
            } catch let error as ConfigError {
                throw HTTPError(.badRequest, message: error.description.replacingOccurrences(of: "\n", with: "; "))
            }
            let issues = state.register(registration)
            if !issues.isEmpty {
                let fieldIssues = registration.validationIssues()
                throw HTTPError(fieldIssues.isEmpty ? .conflict : .badRequest, message: issues.map(\.description).joined(separator: "; "))
            }
            return try json(
                RegistrationReply(name: registration.name, ttlSeconds: Int(state.configuration.registrationTTL.components.seconds)))
        }

        router.post("/v1/peer-registrations") { request, _ -> Response in
            guard state.configuration.registrationEnabled else {
                throw HTTPError(.forbidden, message: "registration is off on this controller (--no-registration)")
            }
            let body = try await collect(request, limit: maxPeerBodyBytes)
            let pushed: PeerRegistrations
            do {
                pushed = try ConfigDocument.decode(PeerRegistrations.self, from: body, file: "request body")
            } catch let error as ConfigError {
                throw HTTPError(.badRequest, message: error.description.replacingOccurrences(of: "\n", with: "; "))
            }
            let refused = state.mergePeerRegistrations(pushed.entries)
            return try json(PeerMergeReply(merged: pushed.entries.count - refused.count, refused: refused))
        }

        router.get("/v1/agents") { _, _ -> Response in
            try json(AgentListing.make(state: state))
        }

        router.get("/v1/topology") { _, _ -> Response in
            guard let snapshot = state.snapshot else { throw HTTPError(.serviceUnavailable, message: "no plan yet") }
            return try json(snapshot.topology)
        }

        router.get("/metrics") { _, _ -> Response in
            state.metrics.taskPolls(waiting: tasks.waitingPolls)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(
                    byteBuffer: ByteBuffer(
                        bytes: state.metrics.exposition()
                            + Array(
                                AgentUpExposition.text(
                                    state.agentLiveness(staleAfter: state.configuration.agentStaleAfter),
                                    cap: state.configuration.agentUpSeriesCap
                                ).utf8))))
        }
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ -> Response in
            guard state.snapshot != nil else {
                throw HTTPError(.serviceUnavailable, message: "not ready: no plan computed yet")
            }
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ready\n")))
        }
        return router
    }

    static func collect(_ request: Request, limit: Int = maxBodyBytes) async throws -> Data {
        do {
            return Data(buffer: try await request.body.collect(upTo: limit))
        } catch {
            throw HTTPError(.contentTooLarge, message: "request body is above \(limit) bytes")
        }
    }

    static func json<Value: Encodable>(_ value: Value) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(data: try encoder.encode(value))))
    }
}

struct RegistrationReply: Encodable {
    var name: String
    var ttlSeconds: Int

    enum CodingKeys: String, CodingKey {
        case name
        case ttlSeconds = "ttl_seconds"
    }
}
