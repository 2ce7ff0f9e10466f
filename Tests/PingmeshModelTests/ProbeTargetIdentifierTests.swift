import Foundation
import Testing

@testable import PingmeshModel

/// A target's id keys its phase, its metrics and its stored results: a dns target's id names its
/// query, and every other kind's id is its `kind://host:port`, byte for byte.
@Suite("ProbeTarget id")
struct ProbeTargetIdentifierTests {
    private func decode(_ text: String) throws -> Pinglist {
        try PinglistDecoder.decode(Data(text.utf8), file: "list.yaml").pinglist
    }

    @Test("two dns targets asking one server different questions have different ids and both load")
    func dnsQueriesDiffer() throws {
        let list = try decode(
            """
            groups:
              - name: resolvers
                kind: dns
                dns: {query_name: www.example.com}
                targets:
                  - 10.0.0.53
                  - {address: 10.0.0.53, dns: {query_type: AAAA}}
                  - {address: 10.0.0.53, dns: {query_name: Mail.Example.com., transport: tcp}}
            """)
        #expect(
            list.targets.map(\.id) == [
                "dns://10.0.0.53:53?name=www.example.com&type=A",
                "dns://10.0.0.53:53?name=www.example.com&type=AAAA",
                "dns://10.0.0.53:53?name=mail.example.com&type=A&transport=tcp",
            ])
    }

    @Test("the same question twice is still a duplicate")
    func sameQueryIsDuplicate() {
        #expect(throws: ConfigError.self) {
            try decode(
                """
                groups:
                  - {name: a, kind: dns, dns: {query_name: www.example.com}, targets: [10.0.0.53, '10.0.0.53:53']}
                """)
        }
    }

    @Test("ids of the other kinds are unchanged, byte for byte")
    func otherKindsUnchanged() {
        let cases: [(ProbeKind, String, Int, String)] = [
            (.tcp, "10.0.0.1", 9301, "tcp://10.0.0.1:9301"),
            (.udp, "fd00::1", 9302, "udp://[fd00::1]:9302"),
            (.icmp, "10.0.0.1", 0, "icmp://10.0.0.1:0"),
            (.http, "web.example", 9300, "http://web.example:9300"),
            (.ntp, "10.0.0.123", 123, "ntp://10.0.0.123:123"),
            (.dns, "10.0.0.53", 53, "dns://10.0.0.53:53"),
        ]
        for (kind, host, port, expected) in cases {
            let target = ProbeTarget(name: host, group: "g", kind: kind, host: host, port: port)
            #expect(target.id == expected)
        }
    }

    @Test("dns options on another kind do not change its id")
    func dnsOptionsIgnoredElsewhere() {
        var target = ProbeTarget(name: "a", group: "g", kind: .tcp, host: "10.0.0.1", port: 9301)
        target.dns = DNSProbeOptions(queryName: "www.example.com")
        #expect(target.id == "tcp://10.0.0.1:9301")
    }
}
