import Foundation
import Testing

@testable import PingmeshModel

/// The topology's `fabric` section: its shape and devices, checked with errors that name the
/// field; and target ids read back into the address a traceroute follows.
@Suite("Fabric description")
struct FabricDescriptionTests {
    static func topology(_ fabric: String) throws -> TopologyFile {
        let text = """
            datacenters:
              - name: dc1
                podsets:
                  - name: ps1
                    pods: [{name: tor1, servers: [{name: s1, ipv4: 10.1.1.11}]}]
            \(fabric)
            """
        return try ConfigDocument.decode(TopologyFile.self, from: Data(text.utf8), file: "topology.yaml")
    }

    @Test("no fabric section keeps three tiers and no devices")
    func standardByDefault() throws {
        let topology = try Self.topology("").validated(file: "topology.yaml")
        #expect(topology.fabric == .standard)
        #expect(topology.fabric.has(.leaf))
    }

    @Test("a two-tier fabric with its devices and their interface addresses")
    func twoTier() throws {
        let topology = try Self.topology(
            """
            fabric:
              tiers: 2
              devices:
                - {name: spine1, tier: spine, datacenter: dc1, addresses: [10.3.1.2, 10.3.2.2]}
                - {name: tor1, tier: tor, addresses: [10.1.1.1]}
            """
        ).validated(file: "topology.yaml")
        #expect(topology.fabric.shape == .twoTier && !topology.fabric.has(.leaf))
        #expect(topology.fabric.deviceByAddress == ["10.3.1.2": "spine1", "10.3.2.2": "spine1", "10.1.1.1": "tor1"])
        #expect(topology.fabric.device(named: "spine1")?.tier == .spine)
    }

    @Test("bad fabric sections are refused, each issue naming its field")
    func badSections() throws {
        let file = try Self.topology(
            """
            fabric:
              tiers: 4
              devices:
                - {name: leaf1, tier: leaf}
                - {name: x, tier: router}
                - {name: x, tier: spine, datacenter: dc9, addresses: [10.0.0.1, nope]}
                - {name: y, tier: spine, addresses: [10.0.0.1]}
            """)
        #expect(throws: ConfigError.self) { try file.validated(file: "topology.yaml") }
        do {
            _ = try file.validated(file: "topology.yaml")
        } catch {
            let paths = error.issues.map(\.path)
            #expect(paths.contains("fabric.tiers"))
            #expect(paths.contains("fabric.devices[1].tier"))
            #expect(paths.contains("fabric.devices[2].name"))
            #expect(paths.contains("fabric.devices[2].datacenter"))
            #expect(paths.contains("fabric.devices[2].addresses[1]"))
            #expect(paths.contains("fabric.devices[3].addresses[0]"))
        }
        let twoTierLeaf = try Self.topology("fabric: {tiers: 2, devices: [{name: leaf1, tier: leaf}]}")
        #expect {
            try twoTierLeaf.validated(file: "topology.yaml")
        } throws: { error in
            "\(error)".contains("fabric.devices[0].tier: a fabric of 2 tiers (fabric.tiers) has no leaves")
        }
        #expect(throws: (any Error).self) { try Self.topology("fabric: {tiers: 2, switches: []}") }
    }

    static func endpoint(_ id: String) -> String? { ProbeTarget.endpoint(ofIdentifier: id).map { "\($0.host) \($0.port)" } }

    @Test("a target id gives back the host and port a traceroute follows")
    func endpointOfIdentifier() {
        #expect(Self.endpoint("tcp://10.77.4.11:9301") == "10.77.4.11 9301")
        #expect(Self.endpoint("udp://[fd00::5]:9302") == "fd00::5 9302")
        #expect(Self.endpoint("dns://10.0.0.53:53?name=www.example.com&type=A") == "10.0.0.53 53")
        #expect(Self.endpoint("http://host.example:9300/ping") == "host.example 9300")
        #expect(Self.endpoint("10.0.0.1:9301") == nil, "no scheme: not a target id")
        #expect(Self.endpoint("icmp://10.0.0.1") == nil, "no port")
        #expect(Self.endpoint(ProbeTarget.identifier(kind: .tcp, host: "fd00::9", port: 9301, http: nil)) == "fd00::9 9301")
    }
}
