import ArgumentParser
import Foundation

/// `pingmesh agents`: every agent that uploads to a collector, with its version, pinglist
/// version and upload lag, the silent ones flagged.
struct AgentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        abstract: "List the agents a collector hears from (or, with --controller, a controller plans for), flagging the silent ones.",
        discussion: """
            From a collector: version, pinglist version and upload lag. From a controller (--controller URL): each planned \
            agent's heartbeat: version, build, uptime, pinglist, probing, failed probes and upload health. \
            Exits 0 when every agent is live, 1 when some are stale (or the server cannot be read).
            """
    )

    @Option(help: "Seconds without an upload (collector: 180 by default) or a pull or task poll (controller: 120) after which an agent is stale.")
    var stale: Int?

    @Option(help: "Ask this controller instead of the collector (needs an admin token when it has tokens: --token).")
    var controller: String?

    @Flag(help: "Print the collector's JSON instead of a table.")
    var json = false

    @OptionGroup var connection: CollectorConnection

    struct Listing: Decodable {
        struct Agent: Decodable {
            var name: String
            var version: String?
            var pinglist_version: String?
            var upload_lag_seconds: Double
            var seconds_since_upload: Double
        }
        var agents: [Agent]
    }

    func validate() throws {
        if let stale, stale <= 0 { throw ValidationError("--stale: \(stale) must be above 0 seconds") }
    }

    func run() async throws {
        if let controller {
            try await ControllerAgents.run(
                api: APIConnection(service: "controller", url: controller, token: connection.token, tls: connection.tls), stale: Double(stale ?? 120), json: json)
            return
        }
        let stale = self.stale ?? 180
        let body: String
        let listing: Listing
        do {
            body = try connection.check(try await connection.send(.GET, "/v1/agents"))
            listing = try JSONDecoder().decode(Listing.self, from: Data(body.utf8))
        } catch {
            FileHandle.standardError.write(Data("pingmesh agents: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let staleAgents = listing.agents.filter { $0.seconds_since_upload > Double(stale) }
        if json {
            print(body)
        } else {
            print(Self.table(listing.agents, stale: Double(stale)))
            print("\(listing.agents.count) agents, \(staleAgents.count) stale (no upload for more than \(stale) s)")
        }
        if !staleAgents.isEmpty { throw ExitCode.failure }
    }

    /// Aligned columns, stale agents first so they are seen.
    static func table(_ agents: [Listing.Agent], stale: Double) -> String {
        let rows = agents.sorted { ($0.seconds_since_upload > stale ? 0 : 1, $0.name) < ($1.seconds_since_upload > stale ? 0 : 1, $1.name) }
            .map { agent in
                [
                    agent.seconds_since_upload > stale ? "STALE" : "live", agent.name, agent.version ?? "-", agent.pinglist_version ?? "-",
                    String(format: "%.0f s", agent.seconds_since_upload), String(format: "%.1f s", agent.upload_lag_seconds),
                ]
            }
        let header = ["state", "agent", "version", "pinglist", "last upload", "upload lag"]
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.indices.map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
