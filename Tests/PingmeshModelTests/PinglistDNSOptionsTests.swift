import Foundation
import Testing

@testable import PingmeshModel

/// A pinglist's `dns` options: decoded strictly, merged group then target, every bad value an
/// error naming its field.
@Suite("Pinglist dns options")
struct PinglistDNSOptionsTests {
    private func decode(_ text: String) throws(ConfigError) -> Pinglist {
        try PinglistDecoder.decode(Data(text.utf8), file: "list.yaml").pinglist
    }

    private func issues(_ text: String) -> [String] {
        do {
            _ = try decode(text)
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }

    private func expectIssue(_ text: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let found = issues(text)
        #expect(found.contains(expected), "expected '\(expected)' in \(found)", sourceLocation: sourceLocation)
    }

    @Test("group options apply to its dns targets, a target overrides them field by field, defaults fill the rest")
    func mergeAndDefaults() throws {
        let list = try decode(
            """
            groups:
              - name: resolvers
                kind: dns
                dns: {query_name: www.example.com, query_type: aaaa, valid_rcodes: [NOERROR, NXDOMAIN], expect_answers: ['fd00::1']}
                targets:
                  - 10.0.0.53
                  - {address: 10.0.1.53, dns: {query_type: TXT, transport: tcp, fail_if_none_matches_regexp: ['^v=']}}
            """)
        let first = try #require(list.targets.first?.dns)
        #expect(list.targets.first?.port == 53)
        #expect(
            first
                == DNSProbeOptions(
                    queryName: "www.example.com", queryType: .aaaa, transport: .udp, validResponseCodes: [.noError, .nameError],
                    expectedAnswers: ["fd00::1"]))
        let second = try #require(list.targets.last?.dns)
        #expect(second.queryName == "www.example.com" && second.queryType == .txt && second.transport == .tcp)
        #expect(second.answerPatterns == ["^v="] && second.expectedAnswers == ["fd00::1"])
    }

    @Test("ntp targets default to port 123 and take no options; other kinds carry no dns options")
    func ntpAndOtherKinds() throws {
        let list = try decode("groups: [{name: time, kind: ntp, targets: [10.0.0.123]}, {name: peers, targets: ['10.0.0.1:9301']}]")
        #expect(list.targets.map(\.port) == [123, 9301])
        #expect(list.targets.allSatisfy { $0.dns == nil })
        #expect(list.targets.first?.kind == .ntp)
    }

    @Test("every bad field is named with its path")
    func badFields() {
        let group = { (dns: String) in "groups: [{name: g, kind: dns, dns: \(dns), targets: [10.0.0.53]}]" }
        expectIssue(
            group("{query_name: a.example, query_type: AAAB}"),
            "groups[0].dns.query_type: 'AAAB' is not one of A, AAAA, CNAME, SRV, TXT, NS, MX")
        expectIssue(group("{query_name: a.example, transport: quic}"), "groups[0].dns.transport: 'quic' is not one of udp, tcp")
        expectIssue(
            group("{query_name: a.example, valid_rcodes: [NOERROR, NOPE]}"),
            "groups[0].dns.valid_rcodes[1]: 'NOPE' is not one of NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, YXDOMAIN, YXRRSET, NXRRSET, NOTAUTH, NOTZONE"
        )
        expectIssue(
            group("{query_name: a.example, valid_rcodes: []}"), "groups[0].dns.valid_rcodes: must name at least one RCODE (e.g. NOERROR)")
        #expect(
            issues(group("{query_name: a.example, fail_if_none_matches_regexp: ['(']}")).contains {
                $0.hasPrefix("groups[0].dns.fail_if_none_matches_regexp[0]: '(' is not a regular expression")
            })
        expectIssue(
            group("{query_name: 'a..example'}"),
            "groups[0].dns.query_name: 'a..example' is not a domain name (dot-separated labels of 1...63 bytes, at most 253 in all)")
        expectIssue(
            "groups: [{name: g, kind: dns, targets: [10.0.0.53]}]",
            "groups[0].targets[0].dns.query_name: is required for dns targets (set it on the group or the target)")
        // One pass reports a missing name beside a bad field.
        let both = issues("groups: [{name: g, kind: dns, dns: {query_type: AAAB}, targets: [10.0.0.53]}]")
        #expect(both.count == 2 && both.contains { $0.hasPrefix("groups[0].targets[0].dns.query_name:") }, "\(both)")
        expectIssue(
            "groups: [{name: g, kind: dns, targets: [{address: 10.0.0.53, dns: {query_name: a.example, query_type: X}}]}]",
            "groups[0].targets[0].dns.query_type: 'X' is not one of A, AAAA, CNAME, SRV, TXT, NS, MX")
    }

    @Test("dns options on targets that are not dns are refused, and unknown keys too")
    func misplaced() {
        expectIssue(
            "groups: [{name: g, dns: {query_name: a.example}, targets: ['10.0.0.1:9301']}]",
            "groups[0].dns: only dns targets take dns options, and this group has none (kind: dns on the group or a target)")
        expectIssue(
            "groups: [{name: g, kind: tcp, targets: [{address: 10.0.0.1, port: 9301, dns: {query_name: a.example}}]}]",
            "groups[0].targets[0].dns: only dns targets take dns options; this target is tcp")
        #expect(
            issues("groups: [{name: g, kind: dns, dns: {query_name: a.example, qtype: A}, targets: [10.0.0.53]}]").contains {
                $0.contains("qtype")
            })
    }

    @Test("the canonical JSON writes dns options as JSONEncoder does and they decode back")
    func canonicalJSON() throws {
        var group = TargetGroupFile(name: "dns", kind: .dns, targets: [TargetFile(address: "10.0.0.53")])
        group.dns = DNSOptionsFile(
            queryName: "www.example.com", queryType: "A", transport: "udp", validRcodes: ["NOERROR"], expectAnswers: ["10.0.0.1"],
            failIfNoneMatchesRegexp: ["^10\\."])
        group.targets[0].dns = DNSOptionsFile(transport: "tcp")
        let file = PinglistFile(groups: [group])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(file.canonicalJSON() == Array(try encoder.encode(file)))
        let back = try JSONDecoder().decode(PinglistFile.self, from: Data(file.canonicalJSON()))
        #expect(back == file)
    }
}
