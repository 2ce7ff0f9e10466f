import Foundation
import Testing

@testable import PingmeshModel

/// A pinglist's `http:` blocks and URL targets: defaults, the target-over-group merge, the
/// target ids they give, canonical JSON, and an error naming the field for each bad value.
@Suite("HTTP probe options")
struct HTTPProbeOptionsTests {
    private func decode(_ text: String) throws -> Pinglist {
        try PinglistDecoder.decode(Data(text.utf8), file: "list.yaml").pinglist
    }

    private func issues(_ text: String) -> [String] {
        do {
            _ = try PinglistDecoder.decode(Data(text.utf8), file: "list.yaml")
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }

    private func expectIssue(_ text: String, path: String, containing reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let found = issues(text)
        #expect(
            found.contains { $0.hasPrefix("\(path):") && $0.contains(reason) }, "expected '\(path): ...\(reason)...' in \(found)",
            sourceLocation: sourceLocation)
    }

    @Test("an http target without a block keeps the agent /ping defaults and its id")
    func noBlock() throws {
        let list = try decode("groups: [{name: g, kind: http, targets: ['10.0.0.1']}]")
        let target = try #require(list.targets.first)
        #expect(target.http == nil && target.id == "http://10.0.0.1:9300")
        #expect(
            HTTPProbeOptions().requestPath(payloadBytes: 0) == "/ping"
                && HTTPProbeOptions().requestPath(payloadBytes: 64) == "/ping?size=64")
        #expect(HTTPProbeOptions().accepts(status: 204) && !HTTPProbeOptions().accepts(status: 302))
    }

    @Test("a target's block is laid over its group's field by field, tls_config included")
    func merge() throws {
        let list = try decode(
            """
            groups:
              - name: web
                kind: http
                port: 443
                http:
                  method: POST
                  headers: {Accept: application/json}
                  valid_status_codes: [2xx, 304, "400-404"]
                  fail_if_body_matches_regexp: ["(?i)error"]
                  body_size_limit: 4096
                  tls_config: {insecure_skip_verify: true, server_name: web.example}
                targets:
                  - address: web1.example
                    http: {path: /healthz, method: GET, tls_config: {server_name: other.example}}
                  - 10.0.0.2
            """)
        let first = try #require(list.targets.first?.http)
        #expect(first.method == "GET" && first.path == "/healthz" && first.headers == ["Accept": "application/json"])
        #expect(first.tls == HTTPTLSOptions(insecureSkipVerify: true, serverName: "other.example"))
        #expect(first.validStatusCodes == [HTTPStatusRange(200, 299), HTTPStatusRange(304, 304), HTTPStatusRange(400, 404)])
        #expect(first.failIfBodyMatchesRegexp == ["(?i)error"] && first.bodySizeLimit == 4096 && first.hostName == "web1.example")
        #expect(list.targets[0].id == "https://web1.example:443/healthz")

        let second = try #require(list.targets.last?.http)
        #expect(second.method == "POST" && second.path == nil && second.hostName == nil)
        #expect(second.tls?.serverName == "web.example")
        #expect(list.targets[1].id == "https://10.0.0.2:443", "TLS makes it another target than http://10.0.0.2:443")
    }

    @Test("a URL target is an http target with the scheme's port, its path and query")
    func urlTargets() throws {
        let list = try decode(
            """
            groups:
              - name: g
                targets:
                  - https://web.example/healthz?deep=1
                  - http://[2001:db8::1]:8080/
                  - https://web.example/other
            """)
        #expect(
            list.targets.map(\.id) == [
                "https://web.example:443/healthz?deep=1", "http://[2001:db8::1]:8080/", "https://web.example:443/other",
            ])
        let first = list.targets[0]
        #expect(first.kind == .http && first.port == 443 && first.host == "web.example")
        #expect(first.http?.tls == HTTPTLSOptions() && first.http?.path == "/healthz?deep=1")
        #expect(list.targets[1].host == "2001:db8::1" && list.targets[1].http?.tls == nil)

        expectIssue(
            "groups: [{name: g, targets: ['ftp://h/x']}]", path: "groups[0].targets[0]", containing: "is not an http:// or https:// URL")
        expectIssue("groups: [{name: g, targets: ['https://u:p@h/x']}]", path: "groups[0].targets[0]", containing: "holds credentials")
    }

    @Test("each bad value is an error naming its field")
    func fieldErrors() {
        expectIssue(
            "groups: [{name: a, kind: http, targets: []}, {name: g, kind: http, http: {method: FETCH}, targets: []}]",
            path: "groups[1].http.method", containing: "'FETCH' is not an HTTP method (GET, HEAD, POST")
        expectIssue(
            "groups: [{name: g, http: {scheme: ftp}, targets: []}]", path: "groups[0].http.scheme", containing: "neither http nor https")
        expectIssue(
            "groups: [{name: g, http: {path: healthz}, targets: []}]", path: "groups[0].http.path", containing: "does not start with /")
        expectIssue("groups: [{name: g, http: {path: '/a b'}, targets: []}]", path: "groups[0].http.path", containing: "percent-encode")
        expectIssue(
            "groups: [{name: g, http: {headers: {'Bad Name': x}}, targets: []}]", path: "groups[0].http.headers.Bad Name",
            containing: "is not a header name")
        expectIssue(
            "groups: [{name: g, http: {headers: {Content-Length: '3'}}, targets: []}]", path: "groups[0].http.headers.Content-Length",
            containing: "set by the prober")
        expectIssue(
            "groups: [{name: g, http: {valid_status_codes: [200, 7xx]}, targets: []}]", path: "groups[0].http.valid_status_codes[1]",
            containing: "'7xx' is not a status")
        expectIssue(
            "groups: [{name: g, http: {valid_status_codes: []}, targets: []}]", path: "groups[0].http.valid_status_codes",
            containing: "is empty")
        expectIssue(
            "groups: [{name: g, http: {fail_if_body_matches_regexp: ['(']}, targets: []}]",
            path: "groups[0].http.fail_if_body_matches_regexp[0]", containing: "'(' is not a valid regular expression")
        expectIssue(
            "groups: [{name: g, http: {fail_if_body_not_matches_regexp: ['ok', '[a-']}, targets: []}]",
            path: "groups[0].http.fail_if_body_not_matches_regexp[1]", containing: "not a valid regular expression")
        expectIssue(
            "groups: [{name: g, http: {body_size_limit: 0}, targets: []}]", path: "groups[0].http.body_size_limit",
            containing: "outside 1...")
        expectIssue(
            "groups: [{name: g, http: {body: '\(String(repeating: "x", count: 70_000))'}, targets: []}]", path: "groups[0].http.body",
            containing: "above the maximum")
        expectIssue("groups: [{name: g, http: {colour: red}, targets: []}]", path: "groups[0].http.colour", containing: "unknown field")
    }

    @Test("tls_config: an unreadable ca_file names its path; a bad server name or skip-verify with a CA is refused")
    func tlsConfigErrors() throws {
        expectIssue(
            "groups: [{name: g, http: {tls_config: {ca_file: /nonexistent/ca.pem}}, targets: []}]",
            path: "groups[0].http.tls_config.ca_file", containing: "cannot read '/nonexistent/ca.pem' (no such file)")
        let notPEM = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-not-a-ca-\(UUID().uuidString).pem")
        try Data("hello".utf8).write(to: notPEM)
        defer { try? FileManager.default.removeItem(at: notPEM) }
        expectIssue(
            "groups: [{name: g, http: {tls_config: {ca_file: \(notPEM.path)}}, targets: []}]",
            path: "groups[0].http.tls_config.ca_file", containing: "holds no PEM certificate")
        expectIssue(
            "groups: [{name: g, http: {tls_config: {server_name: 'not a name'}}, targets: []}]",
            path: "groups[0].http.tls_config.server_name", containing: "is not a host name")
        let withPEM = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-ca-\(UUID().uuidString).pem")
        try Data("-----BEGIN CERTIFICATE-----\n".utf8).write(to: withPEM)
        defer { try? FileManager.default.removeItem(at: withPEM) }
        expectIssue(
            "groups: [{name: g, http: {tls_config: {insecure_skip_verify: true, ca_file: \(withPEM.path)}}, targets: []}]",
            path: "groups[0].http.tls_config.insecure_skip_verify", containing: "pointless")
    }

    @Test("combinations: plain http with a group's tls_config, and an http block on a tcp target")
    func combinationErrors() {
        expectIssue(
            "groups: [{name: g, kind: http, http: {tls_config: {insecure_skip_verify: true}}, targets: ['http://10.0.0.1/x']}]",
            path: "groups[0].targets[0].http.scheme", containing: "asks for https")
        expectIssue(
            "groups: [{name: g, targets: [{address: 10.0.0.1, http: {path: /x}}]}]", path: "groups[0].targets[0].http",
            containing: "kind is tcp, not http")
        expectIssue(
            "groups: [{name: g, http: {path: /x}, targets: ['10.0.0.1:9301']}]", path: "groups[0].http",
            containing: "none of the group's targets is of kind http")
        #expect(
            issues("groups: [{name: g, http: {path: /x}, targets: ['10.0.0.1:9301', 'http://10.0.0.2/']}]").isEmpty, "a URL target uses it")
    }

    @Test("status patterns read as numbers, ranges and classes")
    func statusPatterns() {
        #expect(HTTPStatusRange(parsing: "2xx") == HTTPStatusRange(200, 299))
        #expect(HTTPStatusRange(parsing: "204") == HTTPStatusRange(204, 204))
        #expect(HTTPStatusRange(parsing: "300-308") == HTTPStatusRange(300, 308))
        for bad in ["99", "600", "299-200", "abc", "6xx", ""] { #expect(HTTPStatusRange(parsing: bad) == nil, "\(bad)") }
        #expect([HTTPStatusRange.success, HTTPStatusRange(304, 304)].listDescription == "[200-299, 304]")
    }

    @Test("canonical JSON keeps http blocks, matches JSONEncoder's sorted keys byte for byte and decodes to the same pinglist")
    func canonicalJSON() throws {
        let text = """
            groups:
              - name: web
                kind: http
                http: {method: HEAD, valid_status_codes: [204, 2xx], tls_config: {insecure_skip_verify: true}, fail_if_body_not_matches_regexp: ['^up\\b', "a/b"]}
                targets:
                  - https://web.example:8443/healthz
                  - {address: 10.0.0.1, http: {headers: {X-A: b}, body: hi, body_size_limit: 100}}
            """
        let file = try ConfigDocument.decode(PinglistFile.self, from: Data(text.utf8), file: "f")
        let canonical = Data(file.canonicalJSON())
        let original = try file.validated(file: "f", contentVersion: "v")
        let reread = try PinglistDecoder.decode(canonical, file: "canonical").pinglist
        #expect(reread.targets == original.targets, "\(String(decoding: canonical, as: UTF8.self))")
        #expect(file.canonicalJSON() == (try CanonicalPinglistJSONTests.reference(file)), "\(String(decoding: canonical, as: UTF8.self))")
    }

    @Test("a controller's extra_targets may be URLs with http blocks; the served pinglist carries them to the agent")
    func extraTargets() throws {
        var topologyFile = TopologyFixtures.file(datacenters: 1, podsetsPerDC: 1, podsPerPodset: 1, serversPerPod: 2, interDC: 0)
        var checked = try TargetFile(url: "https://web.example/healthz")
        checked.http?.failIfBodyNotMatchesRegexp = ["up"]
        topologyFile.extraTargets = [.init(name: "web", targets: [checked])]
        let plan = ProbePlanner.plan(try topologyFile.validated(file: "t"))
        let served = plan.pinglistFile(for: 0)
        #expect(served.canonicalJSON() == (try CanonicalPinglistJSONTests.reference(served)))
        let list = try PinglistDecoder.decode(Data(served.canonicalJSON()), file: "served").pinglist
        let web = try #require(list.targets.first { $0.host == "web.example" })
        #expect(web.id == "https://web.example:443/healthz" && web.http?.tls != nil && web.http?.failIfBodyNotMatchesRegexp == ["up"])
    }
}
