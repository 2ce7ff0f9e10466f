import Foundation
import PingmeshTestSupport
import Testing

/// Every file in `Tests/Corpus/malformed` (hostile or broken topologies and pinglists: syntax
/// errors, wrong types, values out of range, duplicates, a YAML alias bomb, deep nesting, bytes
/// that are not text) goes through the real `pingmesh check-config`. Each must end in exit status
/// 1, not a crash or a hang, with a message that starts with the file name and says what is wrong.
/// A file added to the corpus without an expectation here fails the test.
@Suite("Malformed configuration corpus")
struct MalformedConfigCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Corpus/malformed")

    /// What each file's message must contain: the field's path and the reason.
    static let expected: [String: String] = [
        "deeply-nested.yaml": "Maximum nesting level reached",
        "not-utf8.yaml": "the file is not UTF-8 text",
        "pinglist-alias-bomb.yaml": "groups[1].targets[0]: expected a mapping",
        "pinglist-bad-address.yaml": "groups[0].targets[0].address: '10.0.0.1.5' is neither an IP address nor a valid host name",
        "pinglist-bad-duration.yaml": "settings.interval: '10 parsecs' is not a duration",
        "pinglist-bad-source-ports.yaml": "settings.source_ports: '20000-19000': 20000 is above 19000",
        "pinglist-compat-bad-interval.yml": "must be below the interval (-5s)",
        "pinglist-compat-bad-ip.yml": "groups[0].targets[0].address: '999.1.1.1' is neither an IP address",
        "pinglist-dscp-out-of-range.yaml": "settings.dscp: 64 is outside 0...63",
        "pinglist-empty.yaml": "the document must be a mapping of fields",
        "pinglist-huge-number.yaml": "settings.concurrency: expected an integer",
        "pinglist-interval-below-10s.yaml": "must be below the interval (1s)",
        "pinglist-json-syntax.json": "not valid JSON: Unexpected end of file",
        "pinglist-negative-timeout.yaml": "settings.timeout: '-2s' is not a duration",
        "pinglist-not-a-map.yaml": "the document must be a mapping of fields",
        "pinglist-payload-above-64k.yaml": "settings.payload_bytes: 70000 is above the maximum of 65536 bytes",
        "pinglist-port-out-of-range.yaml": "groups[0].targets[0].port: 99999 is outside 1...65535",
        "pinglist-timeout-not-below-interval.yaml": "settings.timeout: 20s must be below the interval (10s)",
        "pinglist-unknown-field.yaml": "groups[0].targetz: unknown field",
        "pinglist-unknown-kind.yaml": "groups[0].kind: 'ftp' is not one of",
        "pinglist-wrong-type.yaml": "settings.interval: expected",
        "pinglist-yaml-syntax.yaml": "4:3: error: parser: while parsing a flow sequence in line 3, column 14",
        "topology-bad-ipv4.yaml": "servers[0].ipv4: '10.0.0.300' is not an IPv4 address",
        "topology-bad-ipv6.yaml": "servers[0].ipv6: 'fd00:::1' is not an IPv6 address",
        "topology-duplicate-address.yaml": "servers[1].ipv4: 10.0.0.1 is already the address of",
        "topology-duplicate-server.yaml": "servers[1].name: server 'a' is already defined",
        "topology-empty-name.yaml": "servers[0].name: must not be empty",
        "topology-no-address.yaml": "servers[0]: a server needs an ipv4 or ipv6 address",
        "topology-no-servers.yaml": "datacenters: no servers",
        "topology-unknown-field.yaml": "datacenter: unknown field",
        "topology-wrong-type.yaml": "datacenters: expected a list",
    ]

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpus.path)) ?? []).sorted()
    }

    @Test("the corpus and the expectations name the same files")
    func everyFileExpected() {
        #expect(Set(Self.files) == Set(Self.expected.keys))
    }

    @Test("each malformed file is rejected with exit 1 and a message naming the field", .requires(.pingmeshBinary), arguments: files)
    func rejected(_ file: String) async throws {
        let binary = try PingmeshBinary.require()
        let expectation = try #require(Self.expected[file], "no expectation for \(file)")
        let result = try await Command.run(binary, ["check-config", Self.corpus.appendingPathComponent(file).path])
        #expect(result.status == 1, "\(file): exit status \(result.status)\n\(result.stderr)")
        #expect(result.stderr.hasPrefix(Self.corpus.appendingPathComponent(file).path + ": "), "\(file): \(result.stderr)")
        #expect(result.stderr.contains(expectation), "\(file): expected '\(expectation)' in:\n\(result.stderr)")
        #expect(result.stderr.utf8.count < 4096, "\(file): a message of \(result.stderr.utf8.count) bytes")
    }
}
