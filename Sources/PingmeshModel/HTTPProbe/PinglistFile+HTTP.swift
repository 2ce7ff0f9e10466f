extension PinglistFile {
    /// A group's `http` block on its own; one that no target of the group could use is an
    /// error, since it would silently do nothing.
    static func checkGroupHTTPOptions(_ group: TargetGroupFile, path: String, issues: inout [ConfigIssue]) {
        guard let http = group.http else { return }
        http.check(path: path, issues: &issues)
        let kinds = group.targets.map { $0.kind ?? group.kind ?? .tcp }
        if !kinds.isEmpty, !kinds.contains(.http) {
            issues.append(.init(path: path, reason: "set, but none of the group's targets is of kind http"))
        }
    }

    /// A target's effective HTTP options: its own `http` block laid over its group's. nil for a
    /// plain agent `/ping` target (no block anywhere) and for targets of other kinds; an `http`
    /// block on a target of another kind is an error, since it would silently do nothing.
    static func effectiveHTTPOptions(
        _ entry: TargetFile, group: TargetGroupFile, kind: ProbeKind, path: String, issues: inout [ConfigIssue]
    ) -> HTTPProbeOptions? {
        entry.http?.check(path: "\(path).http", issues: &issues)
        guard kind == .http else {
            if entry.http != nil {
                issues.append(.init(path: "\(path).http", reason: "set, but the target's kind is \(kind.rawValue), not http"))
            }
            return nil
        }
        guard let merged = entry.http.map({ $0.overriding(group.http) }) ?? group.http else { return nil }
        return merged.effective(host: entry.address, path: "\(path).http", issues: &issues)
    }
}
