import PingmeshModel

/// The topology labels every per-target series carries: a fixed set, so all series of a metric
/// have the same label names (absent ones stay empty, which Prometheus treats as unset).
public enum TopologyLabels {
    public static let names = ["region", "dc", "podset", "pod", "tor"]

    static func perTarget(_ scheduled: ScheduledTarget) -> [(String, String)] {
        let target = scheduled.target
        var labels: [(String, String)] = [
            ("target", target.name), ("address", address(of: target)),
            ("group", target.group), ("kind", target.kind.rawValue),
        ]
        for name in names {
            labels.append((name, target.labels[name] ?? ""))
        }
        return labels
    }

    /// `host:port`; for a dns target with its query, as in its id: two dns targets asking one
    /// server different questions are two targets, and would otherwise share (and unregister)
    /// each other's series.
    static func address(of target: ProbeTarget) -> String {
        let address = HostPort.join(target.host, target.port)
        guard target.kind == .dns, let dns = target.dns else { return address }
        return address + dns.targetIDQuery
    }
}
