extension PinglistFile {
    /// A group's own `dns` options: each field valid, and only on a group whose targets can be dns.
    static func checkGroupDNS(_ group: TargetGroupFile, path: String, issues: inout [ConfigIssue]) {
        guard let dns = group.dns else { return }
        issues += dns.fieldIssues(path: "\(path).dns")
        let anyDNSTarget = group.targets.contains { ($0.kind ?? group.kind) == .dns }
        if !anyDNSTarget {
            issues.append(
                .init(
                    path: "\(path).dns",
                    reason: "only dns targets take dns options, and this group has none (kind: dns on the group or a target)"))
        }
    }

    /// The target's DNS options: the group's, overridden field by field by the target's own.
    /// Nil for other kinds, and (with an issue) when the target's fields are wrong or incomplete.
    /// The group's own field issues were reported once, at the group.
    static func effectiveDNS(
        _ entry: TargetFile, group: TargetGroupFile, kind: ProbeKind, path: String, issues: inout [ConfigIssue]
    ) -> DNSProbeOptions? {
        if let own = entry.dns {
            issues += own.fieldIssues(path: "\(path).dns")
            if kind != .dns {
                issues.append(.init(path: "\(path).dns", reason: "only dns targets take dns options; this target is \(kind.rawValue)"))
            }
        }
        guard kind == .dns else { return nil }
        let merged = (group.dns ?? DNSOptionsFile()).overridden(by: entry.dns)
        // A missing name is reported even beside bad fields, so one pass finds every problem.
        if merged.queryName == nil || merged.fieldIssues(path: "").isEmpty {
            return merged.effective(path: "\(path).dns", issues: &issues)
        }
        return nil
    }
}
