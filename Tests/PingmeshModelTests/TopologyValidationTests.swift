import Foundation
import Testing

@testable import PingmeshModel

@Suite("Topology validation")
struct TopologyValidationTests {
    private func issues(_ yaml: String) -> [String] {
        do {
            _ = try ConfigDocument.decode(TopologyFile.self, from: Data(yaml.utf8), file: "topology.yaml").validated(file: "topology.yaml")
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }

    private let base = """
        datacenters:
          - name: dc1
            podsets:
              - name: ps1
                pods:
                  - name: pod1
                    servers:
                      - {name: a, ipv4: 10.0.0.1}
                      - {name: b, ipv4: 10.0.0.2, ipv6: 'fd00::2'}
        """

    @Test("a good file validates, with topology labels on each server")
    func good() throws {
        let topology = try ConfigDocument.decode(TopologyFile.self, from: Data(base.utf8), file: "t").validated(file: "t")
        #expect(topology.servers.map(\.name) == ["a", "b"])
        #expect(topology.topologyLabels(of: 1) == ["dc": "dc1", "podset": "ps1", "pod": "pod1", "tor": "pod1"])
        #expect(topology.probeKind == .tcp && topology.probePort == 9301)
    }

    @Test("each problem names its field", arguments: [
        ("datacenters: []", "datacenters: no servers"),
        ("datacenter: []", "datacenter: unknown field"),
        ("datacenters: [{name: dc1, podsets: [{name: p, pods: [{name: q, servers: [{name: a}]}]}]}]", "servers[0]: a server needs an ipv4 or ipv6"),
        ("datacenters: [{name: dc1, podsets: [{name: p, pods: [{name: q, servers: [{name: a, ipv4: 'fd00::1'}]}]}]}]", "servers[0].ipv4: 'fd00::1' is not an IPv4"),
        ("datacenters: [{name: dc1, podsets: [{name: p, pods: [{name: q, servers: [{name: a, ipv4: 10.0.0.1}, {name: a, ipv4: 10.0.0.2}]}]}]}]", "servers[1].name: server 'a' is already defined"),
        ("datacenters: [{name: dc1, podsets: [{name: p, pods: [{name: q, servers: [{name: a, ipv4: 10.0.0.1}, {name: b, ipv4: 10.0.0.1}]}]}]}]", "servers[1].ipv4: 10.0.0.1 is already the address of"),
        ("datacenters: [{name: dc1, podsets: [{name: p, pods: [{name: q, tor: t, servers: [{name: a, ipv4: 10.0.0.1}]}, {name: r, tor: t, servers: []}]}]}]", "pods[1].tor: ToR 't' already serves"),
        ("datacenters: [{name: dc1, podsets: [{name: p, pods: [{name: q, servers: [{name: a, ipv4: 10.0.0.1, labels: {tor: x}}]}]}]}]", "labels.tor: 'tor' comes from the server's place"),
        ("settings: {interval: 1s}\ndatacenters: [{name: dc1, podsets: [{name: p, pods: [{name: q, servers: [{name: a, ipv4: 10.0.0.1}]}]}]}]", "settings.interval: 1s is below the minimum"),
        ("caps: {max_peers_per_agent: 0}\ndatacenters: [{name: dc1, podsets: [{name: p, pods: [{name: q, servers: [{name: a, ipv4: 10.0.0.1}]}]}]}]", "caps.max_peers_per_agent: 0 must be at least 1"),
        ("probe: {kind: icmp}\ndatacenters: [{name: dc1, podsets: [{name: p, pods: [{name: q, servers: [{name: a, ipv4: 10.0.0.1}]}]}]}]", "probe.kind: agents probe each other over tcp, udp or http"),
        ("extra_targets: [{name: e, weight: 2, targets: ['300.1.1.1']}]\ndatacenters: [{name: dc1, podsets: [{name: p, pods: [{name: q, servers: [{name: a, ipv4: 10.0.0.1}]}]}]}]", "extra_targets[0].weight: 2.0 is outside (0, 1]"),
        ("extra_targets: [{name: e, targets: ['300.1.1.1']}]\ndatacenters: [{name: dc1, podsets: [{name: p, pods: [{name: q, servers: [{name: a, ipv4: 10.0.0.1}]}]}]}]", "extra_targets[0].targets[0].address"),
    ])
    func problems(yaml: String, expected: String) {
        let found = issues(yaml)
        #expect(found.contains { $0.contains(expected) }, "expected '\(expected)' in \(found)")
    }
}
