extension TopologyFile {
    /// Topology labels the file sets itself; a server's own labels may not redefine them.
    public static let placementLabels: Set<String> = ["region", "dc", "podset", "pod", "tor", "name"]

    /// Checks every rule and returns the indexed topology, or throws every issue found at once.
    public func validated(file: String) throws(ConfigError) -> Topology {
        var issues: [ConfigIssue] = []
        let settingsFile = settings ?? PinglistSettingsFile()
        let effective = settingsFile.effective(path: "settings", issues: &issues)

        let kind = probe?.kind ?? .tcp
        if ![.tcp, .udp, .http].contains(kind) {
            issues.append(.init(path: "probe.kind", reason: "agents probe each other over tcp, udp or http, not \(kind.rawValue)"))
        }
        let port = probe?.port ?? DefaultPorts.defaultPort(for: kind)
        PinglistFile.checkPort(port, path: "probe.port", issues: &issues)
        let perPodset = interDC?.serversPerPodset ?? 1
        if perPodset < 0 { issues.append(.init(path: "inter_dc.servers_per_podset", reason: "\(perPodset) is negative")) }
        let caps = validatedCaps(issues: &issues)

        var servers: [Topology.Server] = []
        var pods: [Topology.Pod] = []
        var podsets: [Topology.Podset] = []
        var datacenters: [Topology.DataCenter] = []
        var serverIndex: [String: Int] = [:]
        var serverPaths: [String: String] = [:]
        var addresses: [String: String] = [:]
        var dcNames: [String: Int] = [:]

        for (d, dc) in self.datacenters.enumerated() {
            let dcPath = "datacenters[\(d)]"
            Self.checkName(dc.name, path: "\(dcPath).name", seen: &dcNames, index: d, issues: &issues)
            var podsetNames: [String: Int] = [:]
            var torNames: [String: Int] = [:]
            let firstPodset = podsets.count
            for (p, podset) in dc.podsets.enumerated() {
                let podsetPath = "\(dcPath).podsets[\(p)]"
                Self.checkName(podset.name, path: "\(podsetPath).name", seen: &podsetNames, index: p, issues: &issues)
                var podNames: [String: Int] = [:]
                let firstPod = pods.count
                for (q, pod) in podset.pods.enumerated() {
                    let podPath = "\(podsetPath).pods[\(q)]"
                    Self.checkName(pod.name, path: "\(podPath).name", seen: &podNames, index: q, issues: &issues)
                    let tor = pod.tor ?? pod.name
                    if let other = torNames[tor] {
                        issues.append(.init(path: "\(podPath).tor", reason: "ToR '\(tor)' already serves pod \(other) of this data center"))
                    } else {
                        torNames[tor] = pods.count
                    }
                    let firstServer = servers.count
                    for (s, server) in pod.servers.enumerated() {
                        let path = "\(podPath).servers[\(s)]"
                        checkServer(server, path: path, names: &serverPaths, addresses: &addresses, issues: &issues)
                        serverIndex[server.name] = serverIndex[server.name] ?? servers.count
                        servers.append(
                            Topology.Server(
                                name: server.name, ipv4: server.ipv4, ipv6: server.ipv6, labels: server.labels ?? [:], pod: pods.count))
                    }
                    pods.append(Topology.Pod(name: pod.name, tor: tor, podset: podsets.count, servers: firstServer..<servers.count))
                }
                podsets.append(Topology.Podset(name: podset.name, datacenter: datacenters.count, pods: firstPod..<pods.count))
            }
            datacenters.append(
                Topology.DataCenter(name: dc.name, region: dc.region, torMesh: dc.torMesh ?? true, podsets: firstPodset..<podsets.count))
        }
        if servers.isEmpty { issues.append(.init(path: "datacenters", reason: "no servers: a topology needs at least one")) }

        let extras = validatedExtraTargets(settings: effective, issues: &issues)
        let fabric = validatedFabric(datacenters: Set(self.datacenters.map(\.name)), issues: &issues)
        guard issues.isEmpty else { throw ConfigError(file: file, issues: issues) }
        return Topology(
            servers: servers, pods: pods, podsets: podsets, datacenters: datacenters, settings: settingsFile, effectiveSettings: effective,
            probeKind: kind,
            probePort: port, interDCServersPerPodset: perPodset, caps: caps, extraTargets: extras, serverIndex: serverIndex, fabric: fabric)
    }

    private func checkServer(
        _ server: ServerFile, path: String, names: inout [String: String], addresses: inout [String: String],
        issues: inout [ConfigIssue]
    ) {
        if server.name.isEmpty {
            issues.append(.init(path: "\(path).name", reason: "must not be empty"))
        } else if let other = names[server.name] {
            issues.append(.init(path: "\(path).name", reason: "server '\(server.name)' is already defined at \(other)"))
        } else {
            names[server.name] = path
        }
        if server.ipv4 == nil && server.ipv6 == nil {
            issues.append(.init(path: path, reason: "a server needs an ipv4 or ipv6 address"))
        }
        for (field, value, family) in [("ipv4", server.ipv4, IPAddressFamily.ipv4), ("ipv6", server.ipv6, .ipv6)] {
            guard let value else { continue }
            if IPAddressFamily.of(literal: value) != family {
                issues.append(.init(path: "\(path).\(field)", reason: "'\(value)' is not an \(family == .ipv4 ? "IPv4" : "IPv6") address"))
            } else if let other = addresses[value] {
                issues.append(.init(path: "\(path).\(field)", reason: "\(value) is already the address of \(other)"))
            } else {
                addresses[value] = path
            }
        }
        PinglistFile.checkLabels(server.labels, path: "\(path).labels", issues: &issues)
        for key in (server.labels ?? [:]).keys.sorted() where Self.placementLabels.contains(key) {
            issues.append(.init(path: "\(path).labels.\(key)", reason: "'\(key)' comes from the server's place in the topology"))
        }
    }

    private func validatedCaps(issues: inout [ConfigIssue]) -> Topology.Caps {
        let caps = self.caps ?? CapsFile()
        if let value = caps.maxPeersPerAgent, value < 1 {
            issues.append(.init(path: "caps.max_peers_per_agent", reason: "\(value) must be at least 1"))
        }
        if let value = caps.maxProbesPerSecondPerAgent, !(value > 0) {
            issues.append(.init(path: "caps.max_probes_per_second_per_agent", reason: "\(value) must be above zero"))
        }
        if let value = caps.maxInboundProbesPerSecond, !(value > 0) {
            issues.append(.init(path: "caps.max_inbound_probes_per_second", reason: "\(value) must be above zero"))
        }
        return Topology.Caps(
            maxPeersPerAgent: caps.maxPeersPerAgent, maxProbesPerSecondPerAgent: caps.maxProbesPerSecondPerAgent,
            maxInboundProbesPerSecond: caps.maxInboundProbesPerSecond)
    }

    private func validatedExtraTargets(settings: ProbeSettings, issues: inout [ConfigIssue]) -> [Topology.ExtraTargetGroup] {
        var names: [String: Int] = [:]
        var groups: [Topology.ExtraTargetGroup] = []
        for (index, group) in (extraTargets ?? []).enumerated() {
            let path = "extra_targets[\(index)]"
            Self.checkName(group.name, path: "\(path).name", seen: &names, index: index, issues: &issues)
            let weight = group.weight ?? 1
            if !(weight > 0 && weight <= 1) {
                issues.append(.init(path: "\(path).weight", reason: "\(weight) is outside (0, 1]: the share of matching agents"))
            }
            let asGroup = TargetGroupFile(name: group.name, targets: group.targets)
            for (targetIndex, entry) in group.targets.enumerated() {
                _ = PinglistFile.effectiveTarget(
                    entry, group: asGroup, settings: settings, path: "\(path).targets[\(targetIndex)]", issues: &issues)
            }
            groups.append(
                Topology.ExtraTargetGroup(name: group.name, selector: group.selector ?? [:], weight: weight, targets: group.targets))
        }
        return groups
    }

    private static func checkName(_ name: String, path: String, seen: inout [String: Int], index: Int, issues: inout [ConfigIssue]) {
        if name.isEmpty {
            issues.append(.init(path: path, reason: "must not be empty"))
        } else if let other = seen[name] {
            issues.append(.init(path: path, reason: "'\(name)' is already used by entry \(other) of the same list"))
        } else {
            seen[name] = index
        }
    }
}
