import Foundation
import PingmeshModel

/// A task as text: one line per agent with its state and the figures of its result.
enum TaskReport {
    static func text(_ status: TaskStatus) -> String {
        let progress = status.progress
        var lines = [
            "task \(status.id): \(status.action.name) on '\(status.selector)'",
            "\(progress.agents) agents: \(progress.done) done, \(progress.failed) failed, \(progress.running) running, \(progress.pending) pending, \(progress.expired) expired",
        ]
        let width = max(5, status.agents.map(\.name.count).max() ?? 0)
        lines.append(pad("AGENT", width) + "  STATE    SENT  OK  LOSS    MIN ms  MEDIAN ms  MAX ms  DETAIL")
        for agent in status.agents {
            var line = pad(agent.name, width) + "  " + pad(agent.state.rawValue, 7)
            if let probe = agent.outcome?.probe {
                let summary = probe.summary
                line += String(format: "  %4d  %2d  %5.1f%%", summary.sent, summary.ok, summary.loss * 100)
                line += "  " + milliseconds(summary.minMs) + "  " + milliseconds(summary.medianMs, width: 9) + "  " + milliseconds(summary.maxMs)
                let details = Set(probe.results.compactMap(\.detail))
                if !details.isEmpty { line += "  " + details.sorted().joined(separator: "; ") }
            } else if let trace = agent.outcome?.traceroute {
                line += "  " + trace.paths.map(TaskReport.pathSummary).joined(separator: "; ")
            } else if let error = agent.outcome?.error {
                line += "  " + error
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// One traceroute path in a line: where it ends and, when it does not reach, where loss starts.
    static func pathSummary(_ path: TraceroutePath) -> String {
        let hops = path.hops.map { $0.address ?? "*" }.joined(separator: " > ")
        let ending =
            path.reachedDestination
            ? "reached in \(path.hops.count) hops"
            : "not reached; loss starts at hop \(path.lossStartsAtHop.map(String.init) ?? "?")"
        return "port \(path.sourcePort): \(ending) (\(hops))"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private static func milliseconds(_ value: Double?, width: Int = 6) -> String {
        let text = value.map { String(format: "%.3f", $0) } ?? "-"
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
