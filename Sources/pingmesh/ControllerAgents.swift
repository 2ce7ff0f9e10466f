import ArgumentParser
import Foundation
import PingmeshModel

/// `pingmesh agents --controller URL`: the controller's planned agents with their heartbeats.
enum ControllerAgents {
    struct Listing: Decodable {
        struct Agent: Decodable {
            var name: String
            var version: String?
            var last_seen_seconds_ago: Double?
            var heartbeat: AgentHeartbeat?
        }
        var agents: [Agent]
    }

    static func run(api: APIConnection, stale: Double, json: Bool) async throws {
        let body: String
        let listing: Listing
        do {
            body = try api.check(try await api.send(.GET, "/v1/agents"))
            listing = try JSONDecoder().decode(Listing.self, from: Data(body.utf8))
        } catch {
            FileHandle.standardError.write(Data("pingmesh agents: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let isStale = { (agent: Listing.Agent) in agent.last_seen_seconds_ago.map { $0 > stale } ?? true }
        let staleCount = listing.agents.filter(isStale).count
        if json {
            print(body)
        } else {
            print(table(listing.agents, isStale: isStale))
            print("\(listing.agents.count) agents, \(staleCount) stale (not heard from for more than \(Int(stale)) s)")
        }
        if staleCount > 0 { throw ExitCode.failure }
    }

    static func table(_ agents: [Listing.Agent], isStale: (Listing.Agent) -> Bool) -> String {
        let rows = agents.sorted { (isStale($0) ? 0 : 1, $0.name) < (isStale($1) ? 0 : 1, $1.name) }.map { agent -> [String] in
            let beat = agent.heartbeat
            let failed = beat.map { $0.probesSent == 0 ? "-" : String(format: "%.2f%%", Double($0.probesFailed) * 100 / Double($0.probesSent)) } ?? "-"
            let upload: String
            if let beat, let pending = beat.uploadPendingBatches {
                upload = "\(pending) pending, " + (beat.secondsSinceUpload.map { "\($0) s ago" } ?? "none yet")
            } else {
                upload = "-"
            }
            return [
                isStale(agent) ? "STALE" : "live", agent.name, beat?.version ?? agent.version ?? "-", beat?.build ?? "-",
                beat.map { "\($0.uptimeSeconds) s" } ?? "-", beat?.pinglistVersion.map { String($0.prefix(12)) } ?? "-",
                beat.map { $0.probing ? "yes (\($0.targets))" : "STOPPED" } ?? "-", failed, upload,
                agent.last_seen_seconds_ago.map { String(format: "%.0f s", $0) } ?? "never",
            ]
        }
        let header = ["state", "agent", "version", "build", "uptime", "pinglist", "probing", "failed", "upload", "last seen"]
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.indices.map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
