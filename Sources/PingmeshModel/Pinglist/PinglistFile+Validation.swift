extension PinglistFile {
    /// Label names the agent sets itself on per-target metrics; a group may not redefine them.
    public static let reservedLabels: Set<String> = ["target", "group", "kind", "result", "le", "instance", "job"]

    /// Checks every rule and returns the effective pinglist, or throws every issue found at once.
    /// `file` names the source in messages; `contentVersion` is used when the file names no version.
    public func validated(file: String, contentVersion: String) throws(ConfigError) -> Pinglist {
        var issues: [ConfigIssue] = []
        let settings = (settings ?? PinglistSettingsFile()).effective(path: "settings", issues: &issues)
        var targets: [ProbeTarget] = []
        var firstSeen: [String: String] = [:]
        var groupNames: [String: Int] = [:]

        for (groupIndex, group) in groups.enumerated() {
            let groupPath = "groups[\(groupIndex)]"
            if group.name.isEmpty {
                issues.append(.init(path: "\(groupPath).name", reason: "must not be empty"))
            } else if let other = groupNames[group.name] {
                issues.append(.init(path: "\(groupPath).name", reason: "'\(group.name)' is already the name of groups[\(other)]"))
            } else {
                groupNames[group.name] = groupIndex
            }
            Self.checkLabels(group.labels, path: "\(groupPath).labels", issues: &issues)
            if let port = group.port { Self.checkPort(port, path: "\(groupPath).port", issues: &issues) }
            Self.checkGroupHTTPOptions(group, path: "\(groupPath).http", issues: &issues)
            Self.checkGroupDNS(group, path: groupPath, issues: &issues)

            for (targetIndex, entry) in group.targets.enumerated() {
                let path = "\(groupPath).targets[\(targetIndex)]"
                guard let target = Self.effectiveTarget(entry, group: group, settings: settings, path: path, issues: &issues) else {
                    continue
                }
                if let earlier = firstSeen[target.id] {
                    issues.append(.init(path: path, reason: "duplicate target \(target.id), already listed at \(earlier)"))
                    continue
                }
                firstSeen[target.id] = path
                targets.append(target)
            }
        }
        guard issues.isEmpty else { throw ConfigError(file: file, issues: issues) }
        return Pinglist(version: version ?? contentVersion, settings: settings, targets: targets)
    }

    /// One target with its group's defaults and the settings applied; nil (and issues) when invalid.
    static func effectiveTarget(
        _ entry: TargetFile, group: TargetGroupFile, settings: ProbeSettings, path: String, issues: inout [ConfigIssue]
    ) -> ProbeTarget? {
        let before = issues.count
        let kind = entry.kind ?? group.kind ?? .tcp
        let port = entry.port ?? group.port ?? DefaultPorts.defaultPort(for: kind)
        if kind != .icmp { Self.checkPort(port, path: "\(path).port", issues: &issues) }

        if let family = IPAddressFamily.of(literal: entry.address) {
            if !settings.ipProtocol.allows(family) {
                issues.append(
                    .init(
                        path: "\(path).address",
                        reason: "\(entry.address) is \(family.rawValue) but settings.ip_protocol is \(settings.ipProtocol.rawValue)"))
            }
        } else if !Self.isHostName(entry.address) {
            issues.append(.init(path: "\(path).address", reason: "'\(entry.address)' is neither an IP address nor a valid host name"))
        }
        Self.checkLabels(entry.labels, path: "\(path).labels", issues: &issues)

        let interval = entry.interval?.duration ?? settings.interval
        let timeout = entry.timeout?.duration ?? settings.timeout
        let delay = entry.delay?.duration ?? settings.delay
        let payload = entry.payloadBytes ?? settings.payloadBytes
        if entry.interval != nil || entry.timeout != nil || entry.delay != nil {
            Self.checkTiming(interval: interval, timeout: timeout, delay: delay, path: path, issues: &issues)
        }
        if entry.payloadBytes != nil { Self.checkPayload(payload, path: "\(path).payload_bytes", issues: &issues) }
        let http = Self.effectiveHTTPOptions(entry, group: group, kind: kind, path: path, issues: &issues)
        let dns = Self.effectiveDNS(entry, group: group, kind: kind, path: path, issues: &issues)
        guard issues.count == before else { return nil }

        var labels = group.labels ?? [:]
        labels.merge(entry.labels ?? [:]) { _, target in target }
        var target = ProbeTarget(
            name: entry.name ?? entry.address, group: group.name, kind: kind, host: entry.address, port: port,
            labels: labels, interval: interval, timeout: timeout, delay: delay, payloadBytes: payload
        )
        target.http = http
        target.dns = dns
        return target
    }

    static func checkTiming(interval: Duration, timeout: Duration, delay: Duration, path: String, issues: inout [ConfigIssue]) {
        let minimum = SafetyLimits.minimumPairInterval
        if interval < minimum {
            issues.append(
                .init(
                    path: "\(path).interval",
                    reason: "\(ConfigDuration(interval)) is below the minimum of \(ConfigDuration(minimum)) between two probes of one pair")
            )
        }
        if timeout <= .zero {
            issues.append(.init(path: "\(path).timeout", reason: "must be above zero"))
        } else if timeout >= interval {
            issues.append(
                .init(
                    path: "\(path).timeout",
                    reason:
                        "\(ConfigDuration(timeout)) must be below the interval (\(ConfigDuration(interval))), or probes of one round would run into the next"
                ))
        }
        if delay <= .zero {
            issues.append(.init(path: "\(path).delay", reason: "must be above zero"))
        } else if delay > timeout, timeout > .zero {
            issues.append(
                .init(
                    path: "\(path).delay",
                    reason: "\(ConfigDuration(delay)) is above the timeout (\(ConfigDuration(timeout))), so no probe could ever be slow"))
        }
    }

    static func checkPayload(_ bytes: Int, path: String, issues: inout [ConfigIssue]) {
        if bytes < 0 {
            issues.append(.init(path: path, reason: "\(bytes) is negative"))
        } else if bytes > SafetyLimits.maximumPayloadBytes {
            issues.append(.init(path: path, reason: "\(bytes) is above the maximum of \(SafetyLimits.maximumPayloadBytes) bytes (64 KiB)"))
        }
    }

    static func checkPort(_ port: Int, path: String, issues: inout [ConfigIssue]) {
        if !(1...65535).contains(port) {
            issues.append(.init(path: path, reason: "\(port) is outside 1...65535"))
        }
    }

    static func checkLabels(_ labels: [String: String]?, path: String, issues: inout [ConfigIssue]) {
        guard let labels, !labels.isEmpty else { return }
        // Every window of a batch carries labels: sorted (for the order of the messages) only
        // when one is wrong.
        guard labels.keys.contains(where: { !isLabelName($0) || reservedLabels.contains($0) || $0.hasPrefix("__") }) else { return }
        for key in labels.keys.sorted() {
            if !isLabelName(key) {
                issues.append(.init(path: "\(path).\(key)", reason: "'\(key)' is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)"))
            } else if reservedLabels.contains(key) || key.hasPrefix("__") {
                issues.append(.init(path: "\(path).\(key)", reason: "'\(key)' is reserved for the agent's own labels"))
            }
        }
    }

    /// Prometheus label-name syntax.
    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        let isLetter: (Unicode.Scalar) -> Bool = { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || $0 == "_" }
        return isLetter(first) && name.unicodeScalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) }
    }

    /// RFC 1123 host name syntax.
    static func isHostName(_ name: String) -> Bool {
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        guard !trimmed.isEmpty, trimmed.utf8.count <= 253 else { return false }
        return trimmed.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard (1...63).contains(label.count), label.first != "-", label.last != "-" else { return false }
            return label.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
            }
        } && !trimmed.split(separator: ".").allSatisfy { $0.allSatisfy(\.isASCIIDigit) }
    }
}

extension PinglistFile {
    /// "FIRST-LAST" (or one port) as the ports it names, unprivileged and at most
    /// `SafetyLimits.maximumSourcePorts` of them.
    public static func sourcePorts(parsing text: String) -> Result<[Int], SimpleReason> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.filter { $0 != " " }) }
        guard (1...2).contains(parts.count), let first = parts.first ?? nil, let last = parts.last ?? nil else {
            return .failure(SimpleReason("'\(text)' is not a port range FIRST-LAST such as 20000-20007"))
        }
        guard first <= last else { return .failure(SimpleReason("'\(text)': \(first) is above \(last)")) }
        guard first >= 1024, last <= 65535 else { return .failure(SimpleReason("'\(text)' is outside 1024...65535 (ports below 1024 need privileges)")) }
        guard last - first < SafetyLimits.maximumSourcePorts else {
            return .failure(SimpleReason("'\(text)' holds \(last - first + 1) ports; at most \(SafetyLimits.maximumSourcePorts)"))
        }
        return .success(Array(first...last))
    }
}

/// A reason without a path, for helpers whose caller knows the field.
public struct SimpleReason: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension PinglistSettingsFile {
    /// The effective settings, defaults applied; problems are added to `issues` under `path`.
    public func effective(path: String, issues: inout [ConfigIssue]) -> ProbeSettings {
        var result = ProbeSettings()
        let given = self
        if let value = given.interval?.duration { result.interval = value }
        if let value = given.timeout?.duration { result.timeout = value }
        if let value = given.delay?.duration { result.delay = value }
        if let value = given.concurrency { result.concurrency = value }
        if let value = given.payloadBytes { result.payloadBytes = value }
        if let value = given.ipProtocol { result.ipProtocol = value }
        result.sourceAddress = given.sourceAddress
        if let dscp = given.dscp {
            if (0...63).contains(dscp) {
                result.dscp = dscp
            } else {
                issues.append(.init(path: "\(path).dscp", reason: "\(dscp) is outside 0...63 (a DSCP codepoint, e.g. 46 for EF)"))
            }
        }
        if let ports = given.sourcePorts {
            switch PinglistFile.sourcePorts(parsing: ports) {
            case .success(let list): result.sourcePorts = list
            case .failure(let reason): issues.append(.init(path: "\(path).source_ports", reason: reason.description))
            }
        }

        PinglistFile.checkTiming(
            interval: result.interval, timeout: result.timeout, delay: result.delay, path: path, issues: &issues
        )
        if !(1...SafetyLimits.maximumConcurrency).contains(result.concurrency) {
            issues.append(
                .init(path: "\(path).concurrency", reason: "\(result.concurrency) is outside 1...\(SafetyLimits.maximumConcurrency)"))
        }
        PinglistFile.checkPayload(result.payloadBytes, path: "\(path).payload_bytes", issues: &issues)
        if let source = result.sourceAddress {
            if let family = IPAddressFamily.of(literal: source) {
                if !result.ipProtocol.allows(family) {
                    issues.append(
                        .init(
                            path: "\(path).source_address",
                            reason: "\(source) is \(family.rawValue) but ip_protocol is \(result.ipProtocol.rawValue)"))
                }
            } else {
                issues.append(.init(path: "\(path).source_address", reason: "'\(source)' is not an IPv4 or IPv6 address"))
            }
        }
        return result
    }
}
