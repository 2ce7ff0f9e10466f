import Foundation
import Testing

@testable import PingmeshModel

/// `source_ports`: the ports TCP and UDP probes rotate over, one ECMP path each.
@Suite("Source-port rotation settings")
struct SourcePortsTests {
    private func decode(_ ports: String) -> Result<Pinglist, ConfigError> {
        Result { try PinglistDecoder.decode(Data("settings: {source_ports: '\(ports)'}\ngroups: [{name: g, targets: ['10.0.0.1:9301']}]".utf8), file: "list.yaml").pinglist }
            .mapError { $0 as! ConfigError }
    }

    @Test("a range names every port in it; one port alone is a range of one")
    func ranges() throws {
        #expect(try decode("33000-33007").get().settings.sourcePorts == Array(33000...33007))
        #expect(try decode("40000").get().settings.sourcePorts == [40000])
        #expect(try PinglistDecoder.decode(Data("groups: []".utf8), file: "x").pinglist.settings.sourcePorts.isEmpty)
    }

    @Test("bad ranges are refused, naming the field and why", arguments: [
        ("33007-33000", "33007 is above 33000"), ("80-88", "outside 1024...65535"), ("33000-33100", "holds 101 ports; at most 64"),
        ("ports", "is not a port range FIRST-LAST"), ("1-2-3", "is not a port range"), ("-5", "is not a port range"),
    ])
    func refused(_ ports: String, _ reason: String) {
        guard case .failure(let error) = decode(ports) else {
            Issue.record("'\(ports)' was accepted")
            return
        }
        #expect(error.issues.contains { $0.path == "settings.source_ports" && $0.reason.contains(reason) }, "\(error.issues)")
    }

    @Test("the canonical form a controller serves keeps the range")
    func canonical() throws {
        let file = PinglistFile(settings: PinglistSettingsFile(sourcePorts: "33000-33003"), groups: [])
        #expect(String(decoding: file.canonicalJSON(), as: UTF8.self).contains(#""source_ports":"33000-33003""#))
    }

    @Test("dscp marks probes with a codepoint 0-63, kept in the canonical form; others are refused")
    func dscp() throws {
        let good = try PinglistDecoder.decode(Data("settings: {dscp: 46}\ngroups: []".utf8), file: "x").pinglist
        #expect(good.settings.dscp == 46)
        #expect(String(decoding: PinglistFile(settings: PinglistSettingsFile(dscp: 46), groups: []).canonicalJSON(), as: UTF8.self).contains(#""dscp":46"#))
        #expect(throws: ConfigError.self) { try PinglistDecoder.decode(Data("settings: {dscp: 64}\ngroups: []".utf8), file: "x") }
        do {
            _ = try PinglistDecoder.decode(Data("settings: {dscp: -1}\ngroups: []".utf8), file: "x")
        } catch {
            #expect(error.issues.contains { $0.path == "settings.dscp" && $0.reason.contains("outside 0...63") })
        }
    }
}
