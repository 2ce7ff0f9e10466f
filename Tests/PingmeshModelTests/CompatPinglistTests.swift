import Foundation
import Testing

@testable import PingmeshModel

@Suite("pingmesh-agent pinglist.yaml compatibility")
struct CompatPinglistTests {
    let file = """
        setting:
          # the maximum amount of concurrent to ping, uint
          concurrent_limit: 20
          interval: 60.0
          delay: 200
          timeout: 2.0
          source_ip_addr: 0.0.0.0
          ip_protocol: ip4
        mesh:
          add-local-ips:
            name: local ips
            type: OtherIP
            ips :
              - 127.0.0.1
              - 10.9.8.7
              - www.example.com
          nodes:
            type: NodeIP
            ips: [10.0.0.1]
        """

    @Test("settings and mesh groups map onto the native model")
    func mapping() throws {
        let (pinglist, format) = try PinglistDecoder.decode(Data(file.utf8), file: "pinglist.yml")
        #expect(format == .pingmeshAgent)
        #expect(pinglist.settings.concurrency == 20)
        #expect(pinglist.settings.interval == .seconds(60))
        #expect(pinglist.settings.delay == .milliseconds(200))
        #expect(pinglist.settings.timeout == .seconds(2))
        #expect(pinglist.settings.sourceAddress == nil, "0.0.0.0 means: let the kernel choose")
        #expect(pinglist.settings.ipProtocol == .ip4)
        #expect(pinglist.targets.map(\.group) == ["local ips", "local ips", "local ips", "nodes"])
        #expect(pinglist.targets.map(\.host) == ["127.0.0.1", "10.9.8.7", "www.example.com", "10.0.0.1"])
        #expect(pinglist.targets.allSatisfy { $0.kind == .icmp })
        #expect(pinglist.targets[0].labels == ["mesh_id": "add-local-ips", "mesh_type": "OtherIP"])
    }

    @Test("the compat format is validated by the same rules")
    func validated() {
        do {
            _ = try PinglistDecoder.decode(Data("setting: {interval: 5}\nmesh: {a: {ips: [1.2.3.4]}}".utf8), file: "pinglist.yml")
            Issue.record("expected an error")
        } catch {
            #expect(error.issues.map(\.path).contains("settings.interval"))
        }
    }

    @Test("unknown fields in the compat format are errors too")
    func strict() {
        do {
            _ = try PinglistDecoder.decode(Data("setting: {intervals: 60}\nmesh: {}".utf8), file: "pinglist.yml")
            Issue.record("expected an error")
        } catch {
            #expect(error.issues.first?.path == "setting.intervals")
        }
    }
}
