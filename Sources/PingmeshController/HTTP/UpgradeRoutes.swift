import Foundation
import Hummingbird
import PingmeshModel

/// The self-upgrade routes: admins start, read and cancel the rollout (`/v1/upgrade`); agents
/// report an install that failed (`/v1/agent-upgrade/{agent}`). Offers themselves travel in the
/// task poll's answer (`TaskRoutes`).
enum UpgradeRoutes {
    static func add(to router: Router<BasicRequestContext>, upgrades: UpgradeRollout) {
        router.put("/v1/upgrade") { request, _ -> Response in
            let body = try await ControllerAPI.collect(request)
            let spec: UpgradeSpec
            do {
                spec = try UpgradeSpec.decode(body, file: "request body")
                try upgrades.start(spec)
            } catch let error as ConfigError {
                throw HTTPError(.badRequest, message: error.description.replacingOccurrences(of: "\n", with: "; "))
            } catch let error as UpgradeRollout.RolloutError {
                throw HTTPError(.badRequest, message: error.description)
            }
            return try ControllerAPI.json(upgrades.status())
        }

        // No rollout is a normal state, not a missing resource: 204, so a 404 only ever means
        // a controller without these routes.
        router.get("/v1/upgrade") { _, _ -> Response in
            guard let status = upgrades.status() else { return Response(status: .noContent) }
            return try ControllerAPI.json(status)
        }

        // Idempotent: cancelling nothing succeeds too.
        router.delete("/v1/upgrade") { _, _ -> Response in
            upgrades.cancel()
            return Response(status: .noContent)
        }

        router.post("/v1/agent-upgrade/:agent") { request, context -> Response in
            let agent = try context.parameters.require("agent")
            let body = try await ControllerAPI.collect(request)
            do {
                let report = try ConfigDocument.decode(UpgradeFailureReport.self, from: body, file: "request body")
                try upgrades.reportFailure(agent: agent, report: report)
            } catch let error as ConfigError {
                throw HTTPError(.badRequest, message: error.description.replacingOccurrences(of: "\n", with: "; "))
            } catch let error as UpgradeRollout.RolloutError {
                throw HTTPError(.conflict, message: error.description)
            }
            return Response(status: .noContent)
        }
    }

    /// What an agent says about itself on a pull or poll. Both headers are optional: an agent that
    /// sends neither gets its pinglist and tasks, and no upgrade offer.
    static func identity(_ request: Request) -> (version: String?, selfUpgrade: Bool) {
        func header(_ name: String) -> String? {
            request.headers.first { $0.name.canonicalName == name.lowercased() }?.value
        }
        return (header(AgentUpgradeHeaders.version).map { String($0.prefix(64)) }, header(AgentUpgradeHeaders.selfUpgrade) == "on")
    }
}
