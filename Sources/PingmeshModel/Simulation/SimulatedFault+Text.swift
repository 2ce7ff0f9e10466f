import Foundation

extension SimulatedFault {
    /// One line for a person: `f-3  port-black-hole  dc2-tor2  since 2026-12-07T12:01:34Z  port 20001`.
    public var line: String {
        var figures: [String] = []
        if let rate { figures.append("rate \(rate)") }
        if let share { figures.append("share \(share)") }
        if let latencyMs { figures.append("+\(latencyMs) ms") }
        if let port { figures.append("port \(port)") }
        let since = Date(timeIntervalSince1970: TimeInterval(self.since)).formatted(.iso8601)
        return ([id, kind.rawValue, target, "since \(since)"] + figures).joined(separator: "  ")
    }
}

extension SimulatedFaultTargets {
    /// What may be targeted, a line per kind of component, long lists cut to their ends.
    public var lines: [String] {
        func list(_ names: [String]) -> String {
            names.count <= 8 ? names.joined(separator: " ") : (names.prefix(4) + ["...(\(names.count - 6) more)"] + names.suffix(2)).joined(separator: " ")
        }
        var lines = [
            "servers:      \(list(servers))", "tors:         \(list(tors))", "podsets:      \(list(podsets))",
            "data centers: \(list(datacenters))", "links:        \(list(links))",
        ]
        if !sourcePorts.isEmpty { lines.append("source ports: \(sourcePorts.map(String.init).joined(separator: " "))") }
        return lines
    }
}
