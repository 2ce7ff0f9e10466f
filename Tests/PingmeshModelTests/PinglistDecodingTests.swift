import Foundation
import Testing

@testable import PingmeshModel

@Suite("Pinglist decoding")
struct PinglistDecodingTests {
    private func decode(_ text: String, file: String = "pinglist.yaml") throws -> Pinglist {
        try PinglistDecoder.decode(Data(text.utf8), file: file).pinglist
    }

    @Test("YAML with settings, groups, labels and per-target overrides")
    func nativeYAML() throws {
        let pinglist = try decode(
            """
            version: v42
            settings:
              interval: 30s
              timeout: 1500ms
              delay: 5ms
              concurrency: 20
              payload_bytes: 512
              source_address: 10.0.0.9
              ip_protocol: ip4
            groups:
              - name: tor-a
                labels: {dc: dc1, pod: p1, tor: t1}
                port: 9301
                targets:
                  - 10.0.0.1
                  - 10.0.0.2:9999
                  - address: 10.0.0.3
                    name: server-3
                    labels: {rack: r7}
                    timeout: 3s
                    delay: 100ms
            """
        )
        #expect(pinglist.version == "v42")
        #expect(pinglist.settings.interval == .seconds(30))
        #expect(pinglist.settings.timeout == .milliseconds(1500))
        #expect(pinglist.settings.delay == .milliseconds(5))
        #expect(pinglist.settings.concurrency == 20)
        #expect(pinglist.settings.payloadBytes == 512)
        #expect(pinglist.settings.sourceAddress == "10.0.0.9")
        #expect(pinglist.settings.ipProtocol == .ip4)
        #expect(pinglist.targets.map(\.id) == ["tcp://10.0.0.1:9301", "tcp://10.0.0.2:9999", "tcp://10.0.0.3:9301"])
        let third = pinglist.targets[2]
        #expect(third.name == "server-3")
        #expect(third.labels == ["dc": "dc1", "pod": "p1", "tor": "t1", "rack": "r7"])
        #expect(third.timeout == .seconds(3))
        #expect(third.delay == .milliseconds(100))
        #expect(third.interval == .seconds(30))
        #expect(third.payloadBytes == 512)
        #expect(pinglist.targets[0].name == "10.0.0.1")
        #expect(pinglist.targets[0].group == "tor-a")
    }

    @Test("JSON is read with the same rules")
    func nativeJSON() throws {
        let pinglist = try decode(
            #"{"settings": {"interval": 10, "timeout": 0.5}, "groups": [{"name": "g", "targets": ["[::1]:9301", {"address": "127.0.0.1", "kind": "tcp"}]}]}"#,
            file: "pinglist.json"
        )
        #expect(pinglist.settings.timeout == .milliseconds(500))
        #expect(pinglist.targets.map(\.id) == ["tcp://[::1]:9301", "tcp://127.0.0.1:9301"])
    }

    @Test("defaults: 10 s interval, 2 s timeout, 10 ms delay, TCP to the agent's responder port")
    func defaults() throws {
        let pinglist = try decode("groups: [{name: g, targets: [10.1.1.1]}]")
        #expect(pinglist.settings == ProbeSettings())
        #expect(pinglist.targets[0].port == DefaultPorts.agentTCP)
        #expect(pinglist.targets[0].kind == .tcp)
        #expect(pinglist.settings.interval >= SafetyLimits.minimumPairInterval)
    }

    @Test("a file without a version gets the hash of its bytes, which changes with the content")
    func contentVersion() throws {
        let first = try decode("groups: [{name: g, targets: [10.1.1.1]}]")
        let same = try decode("groups: [{name: g, targets: [10.1.1.1]}]")
        let other = try decode("groups: [{name: g, targets: [10.1.1.2]}]")
        #expect(first.version == same.version)
        #expect(first.version != other.version)
        #expect(first.version.count == 16)
    }

    @Test("host names are accepted for the agent to resolve")
    func hostNames() throws {
        let pinglist = try decode("groups: [{name: g, targets: ['db-1.rack7.example.internal:5432']}]")
        #expect(pinglist.targets[0].host == "db-1.rack7.example.internal")
        #expect(pinglist.targets[0].port == 5432)
    }

    @Test("an explicit empty list is valid: the agent then probes nothing")
    func emptyList() throws {
        #expect(try decode("groups: []").targets.isEmpty)
    }
}
