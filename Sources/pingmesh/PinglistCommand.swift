import ArgumentParser
import Foundation
import PingmeshController
import PingmeshModel

/// `pingmesh pinglist`: the dry run of the controller for one agent.
struct PinglistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pinglist",
        abstract: "Print the pinglist the controller would give one agent, or coverage statistics.",
        discussion: "Computes the same plan as `pingmesh controller --topology FILE`, caps and thinning included."
    )

    @Option(help: "Topology file.")
    var topology: String

    @Option(help: "The agent (server name) whose list to print.")
    var agent: String?

    @Flag(help: "Print per-level coverage, thinning and per-agent peer counts instead of a list.")
    var stats = false

    func validate() throws {
        guard agent != nil || stats else { throw ValidationError("--agent NAME or --stats is needed") }
    }

    func run() throws {
        let plan: ProbePlan
        do {
            let file = try TopologyFileWatcher(path: topology).load()
            plan = ProbePlanner.plan(try file.validated(file: topology))
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
        if stats {
            print(PlanReport(plan).text)
        }
        if let agent {
            guard let file = plan.pinglistFile(forAgentNamed: agent) else {
                FileHandle.standardError.write(Data("--agent: '\(agent)' is not a server of \(topology)\n".utf8))
                throw ExitCode.failure
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(file), as: UTF8.self))
        }
    }
}

/// The `--stats` text.
struct PlanReport {
    let plan: ProbePlan

    init(_ plan: ProbePlan) { self.plan = plan }

    var text: String {
        let statistics = PlanStatistics(plan)
        let topology = plan.topology
        var lines = [
            "topology: \(topology.datacenters.count) DC, \(topology.podsets.count) podsets, \(topology.pods.count) ToRs, \(topology.servers.count) servers",
            "coverage:",
            "  intra-ToR server pairs  \(statistics.intraPodPairs.covered)/\(statistics.intraPodPairs.total) (\(percent(statistics.intraPodPairs.ratio)))",
            "  ToR pairs within a DC   \(statistics.torPairs.covered)/\(statistics.torPairs.total) (\(percent(statistics.torPairs.ratio)))",
            "  DC pairs                \(statistics.datacenterPairs.covered)/\(statistics.datacenterPairs.total) (\(percent(statistics.datacenterPairs.ratio)))",
            "pairs per level (planned / implied, dropped by caps):",
        ]
        for level in MeshLevel.allCases {
            lines.append(
                "  \(level.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(statistics.planned[level] ?? 0) / \(statistics.implied[level] ?? 0), dropped \(statistics.dropped[level] ?? 0)"
            )
        }
        let peers = statistics.peersPerAgent
        lines.append("peers per agent: min \(peers.min), median \(peers.median), max \(peers.max)")
        let interval = topology.effectiveSettings.interval.seconds
        lines.append(String(format: "probes per second per agent at %.0fs: max %.1f", interval, Double(peers.max) / interval))
        return lines.joined(separator: "\n")
    }

    private func percent(_ ratio: Double) -> String { String(format: "%.1f%%", ratio * 100) }
}
