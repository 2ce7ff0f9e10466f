import Foundation
import Testing

@testable import PingmeshModel

/// Every rule gives an error naming the file, the field path and the reason.
@Suite("Pinglist validation")
struct PinglistValidationTests {
    private func issues(_ text: String, file: String = "list.yaml") -> [String] {
        do {
            _ = try PinglistDecoder.decode(Data(text.utf8), file: file)
            return []
        } catch {
            #expect(error.file == file)
            return error.issues.map(\.description)
        }
    }

    private func expectIssue(_ text: String, path: String, containing reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let found = issues(text)
        #expect(
            found.contains { $0.hasPrefix("\(path):") && $0.contains(reason) },
            "expected '\(path): ...\(reason)...' in \(found)", sourceLocation: sourceLocation
        )
    }

    @Test("interval below 10 s is refused: the per-pair rule")
    func intervalBelowMinimum() {
        expectIssue("settings: {interval: 5s, timeout: 1s}\ngroups: []", path: "settings.interval", containing: "below the minimum of 10s")
        expectIssue(
            "groups: [{name: g, targets: [{address: 10.0.0.1, interval: 9.5}]}]",
            path: "groups[0].targets[0].interval", containing: "below the minimum"
        )
    }

    @Test("payload above 64 KiB, or negative, is refused")
    func payload() {
        expectIssue(
            "settings: {payload_bytes: 65537}\ngroups: []", path: "settings.payload_bytes", containing: "above the maximum of 65536")
        expectIssue("settings: {payload_bytes: -1}\ngroups: []", path: "settings.payload_bytes", containing: "negative")
        expectIssue(
            "groups: [{name: g, targets: [{address: 10.0.0.1, payload_bytes: 100000}]}]",
            path: "groups[0].targets[0].payload_bytes", containing: "above the maximum"
        )
        #expect(issues("settings: {payload_bytes: 65536}\ngroups: []").isEmpty)
    }

    @Test("timeout must be below the interval, delay not above the timeout")
    func timing() {
        expectIssue(
            "settings: {interval: 10s, timeout: 10s}\ngroups: []", path: "settings.timeout", containing: "must be below the interval")
        expectIssue("settings: {timeout: 0}\ngroups: []", path: "settings.timeout", containing: "above zero")
        expectIssue("settings: {timeout: 1s, delay: 2s}\ngroups: []", path: "settings.delay", containing: "above the timeout")
    }

    @Test("duplicate targets name both places")
    func duplicates() {
        expectIssue(
            "groups: [{name: a, targets: ['10.0.0.1:9301']}, {name: b, targets: [{address: 10.0.0.1, port: 9301}]}]",
            path: "groups[1].targets[0]", containing: "duplicate target tcp://10.0.0.1:9301, already listed at groups[0].targets[0]"
        )
        expectIssue(
            "groups: [{name: a, targets: []}, {name: a, targets: []}]", path: "groups[1].name", containing: "already the name of groups[0]")
    }

    @Test("unknown fields are errors at every level, with the accepted names")
    func unknownFields() {
        expectIssue(
            "setings: {}\ngroups: []", path: "setings", containing: "unknown field (expected one of: agent, groups, settings, version)")
        expectIssue("settings: {intervall: 10}\ngroups: []", path: "settings.intervall", containing: "unknown field")
        expectIssue("groups: [{name: g, lables: {}, targets: []}]", path: "groups[0].lables", containing: "unknown field")
        expectIssue(
            "groups: [{name: g, targets: [{address: 10.0.0.1, prot: 1}]}]", path: "groups[0].targets[0].prot", containing: "unknown field")
    }

    @Test("bad addresses, ports, kinds and families")
    func addresses() {
        expectIssue(
            "groups: [{name: g, targets: ['10.0.0.300']}]", path: "groups[0].targets[0].address",
            containing: "neither an IP address nor a valid host name")
        expectIssue("groups: [{name: g, targets: ['bad_host!:80']}]", path: "groups[0].targets[0].address", containing: "neither")
        expectIssue("groups: [{name: g, targets: ['10.0.0.1:70000']}]", path: "groups[0].targets[0].port", containing: "outside 1...65535")
        expectIssue("groups: [{name: g, targets: ['10.0.0.1:abc']}]", path: "groups[0].targets[0]", containing: "not host, host:port")
        expectIssue(
            "groups: [{name: g, kind: ftp, targets: []}]", path: "groups[0].kind",
            containing: "'ftp' is not one of: tcp, http, udp, icmp, dns, ntp")
        expectIssue(
            "settings: {ip_protocol: ip4}\ngroups: [{name: g, targets: ['[2001:db8::1]:80']}]", path: "groups[0].targets[0].address",
            containing: "is ipv6 but settings.ip_protocol is ip4")
        expectIssue(
            "settings: {source_address: not-an-ip}\ngroups: []", path: "settings.source_address", containing: "not an IPv4 or IPv6 address")
        expectIssue("settings: {concurrency: 0}\ngroups: []", path: "settings.concurrency", containing: "outside 1...10000")
    }

    @Test("wrong types and bad durations name the field")
    func types() {
        expectIssue("settings: {concurrency: lots}\ngroups: []", path: "settings.concurrency", containing: "expected an integer")
        expectIssue("settings: {interval: 10 minutes}\ngroups: []", path: "settings.interval", containing: "is not a duration")
        expectIssue("groups: {name: g}", path: "groups", containing: "expected a list")
    }

    @Test("labels must be valid Prometheus label names and not the agent's own")
    func labels() {
        expectIssue(
            "groups: [{name: g, labels: {'rack-id': r1}, targets: []}]", path: "groups[0].labels.rack-id",
            containing: "not a valid label name")
        expectIssue("groups: [{name: g, labels: {target: x}, targets: []}]", path: "groups[0].labels.target", containing: "reserved")
    }

    @Test("every issue of a file is reported at once")
    func allIssuesTogether() {
        let found = issues("settings: {interval: 1s, timeout: 2s, payload_bytes: 1000000}\ngroups: [{name: '', targets: ['1.2.3.4:0']}]")
        #expect(found.count == 5, "\(found)")
    }

    @Test("the error text carries file, path and reason on one line")
    func message() {
        do {
            _ = try PinglistDecoder.decode(
                Data("settings: {interval: 2s, timeout: 1s}\ngroups: []".utf8), file: "/etc/pingmesh/pinglist.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(
                error.description
                    == "/etc/pingmesh/pinglist.yaml: settings.interval: 2s is below the minimum of 10s between two probes of one pair")
        }
    }

    @Test("syntax errors and unreadable files are reported, not crashed on")
    func syntax() {
        #expect(!issues("groups: [unclosed").isEmpty)
        #expect(!issues("{\"groups\": [}").isEmpty)
        #expect(!issues("just a string").isEmpty)
        do {
            _ = try PinglistDecoder.load(path: "/nonexistent/pinglist.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent/pinglist.yaml: cannot read the file"))
        }
    }
}
