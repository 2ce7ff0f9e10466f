import Foundation
import PingmeshModel

/// `pingmesh traceroute`'s text output: per path a table of hops and where loss starts.
enum TracerouteTable {
    static func render(_ result: TracerouteResult, name: String) -> String {
        let request = result.request
        let shown = name == request.target ? request.target : "\(name) (\(request.target))"
        return result.paths.map { path in
            var lines = ["\(request.protocol.rawValue) traceroute to \(shown) port \(request.port) from source port \(path.sourcePort)"]
            lines.append(row("ttl", "address", "loss", "rtt min/avg/max ms"))
            for hop in path.hops {
                let rtt = [hop.rttMinMilliseconds, hop.rttAvgMilliseconds, hop.rttMaxMilliseconds].map { $0.map { String(format: "%.3f", $0) } ?? "-" }
                lines.append(
                    row(
                        "\(hop.ttl)", (hop.address ?? "*") + (hop.isDestination ? " (target)" : ""),
                        "\(hop.sent - hop.received)/\(hop.sent)", hop.received == 0 ? "-" : rtt.joined(separator: "/")))
            }
            if path.reachedDestination {
                lines.append("reached the target at hop \(path.hops.last?.ttl ?? 0)")
            } else if let start = path.lossStartsAtHop {
                lines.append("did not reach the target: no answer from hop \(start) on")
            } else {
                lines.append("did not reach the target within \(path.hops.count) hops")
            }
            return lines.joined(separator: "\n")
        }.joined(separator: "\n\n")
    }

    private static func row(_ ttl: String, _ address: String, _ loss: String, _ rtt: String) -> String {
        ttl.padding(toLength: 4, withPad: " ", startingAt: 0) + address.padding(toLength: 42, withPad: " ", startingAt: 0)
            + loss.padding(toLength: 7, withPad: " ", startingAt: 0) + rtt
    }
}
