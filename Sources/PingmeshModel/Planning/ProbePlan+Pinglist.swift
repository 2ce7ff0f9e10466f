import Foundation

extension ProbePlan {
    /// The pinglist of one agent in the agent core's format: a group per mesh level (and per
    /// extra group), every target carrying the peer's topology labels so metrics and analysis
    /// can group by ToR, pod, podset and DC. The version is the hash of the content.
    public func pinglistFile(for agent: Int) -> PinglistFile {
        var byLevel: [MeshLevel: [TargetFile]] = [:]
        for peer in peers[agent].map(Int.init) {
            let level = level(agent: agent, peer: peer)
            let labels = topology.topologyLabels(of: peer)
            for address in topology.addresses(of: peer) {
                byLevel[level, default: []].append(TargetFile(address: address, name: topology.servers[peer].name, labels: labels))
            }
        }
        var groups: [TargetGroupFile] = [MeshLevel.intraPod, .intraDC, .interDC].compactMap { level in
            guard let targets = byLevel[level], !targets.isEmpty else { return nil }
            return TargetGroupFile(
                name: level.rawValue, labels: ["level": level.rawValue], kind: topology.probeKind, port: topology.probePort,
                targets: targets)
        }
        for index in extraGroups[agent] {
            let group = topology.extraTargets[Int(index)]
            groups.append(TargetGroupFile(name: "extra:\(group.name)", labels: ["level": MeshLevel.extra.rawValue], targets: group.targets))
        }
        var file = PinglistFile(agent: topology.servers[agent].name, settings: topology.settings, groups: groups)
        file.version = StableHash.hex(file.canonicalJSON())
        return file
    }

    /// The pinglist of the agent called `name`, or nil when the topology has no such server.
    public func pinglistFile(forAgentNamed name: String) -> PinglistFile? {
        topology.serverIndex[name].map { pinglistFile(for: $0) }
    }

    /// Canonical JSON: sorted keys, so equal lists are equal bytes in every process.
    public static func encode(_ file: PinglistFile) -> Data {
        Data(file.canonicalJSON())
    }
}
