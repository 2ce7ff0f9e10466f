import Foundation
import PingmeshModel
import Testing

@Suite("blackbox_exporter modules")
struct BlackboxModuleTests {
    /// pingmesh-agent's pingmesh.yml and blackbox_exporter's example modules, as users have them.
    static let config = """
        modules:
          http_2xx:
            prober: http
          http_post_2xx:
            prober: http
            timeout: 3s
            http:
              method: POST
              headers: {Content-Type: application/json}
              body: '{}'
              valid_status_codes: [200, 201]
              valid_http_versions: ["HTTP/1.1", "HTTP/2.0"]
              preferred_ip_protocol: ip4
              ip_protocol_fallback: false
              fail_if_body_not_matches_regexp: ["ok"]
              tls_config: {insecure_skip_verify: true}
          tcp_connect:
            prober: tcp
          pop3s_banner:
            prober: tcp
            tcp:
              query_response:
              - expect: "^+OK"
              tls: true
          grpc:
            prober: grpc
            grpc: {tls: true}
          icmp_ttl5:
            prober: icmp
            timeout: 5s
            icmp: {ttl: 5, payload_size: 56, preferred_ip_protocol: ip6}
          dns_tcp:
            prober: dns
            dns:
              query_name: www.example.com
              query_type: AAAA
              transport_protocol: tcp
              valid_rcodes: [NOERROR, NXDOMAIN]
              validate_answer_rrs: {fail_if_none_matches_regexp: ["example"]}
          dns_no_question:
            prober: dns
        """

    static func modules() throws -> [String: BlackboxModule] {
        try ConfigDocument.decode(BlackboxConfigFile.self, from: Data(config.utf8), file: "pingmesh.yml").modules
    }

    @Test("http modules carry method, headers, body, status codes, body checks, TLS and the IP family; client-only fields are listed as ignored")
    func http() throws {
        let modules = try Self.modules()
        let plain = try #require(modules["http_2xx"]?.settings)
        #expect(plain.kind == .http && plain.http == nil && plain.ipProtocol == nil && plain.timeout == nil)
        let post = try #require(modules["http_post_2xx"]?.settings)
        #expect(post.kind == .http && post.timeout == .seconds(3) && post.ipProtocol == .ip4)
        #expect(post.http?.method == "POST" && post.http?.body == "{}" && post.http?.headers == ["Content-Type": "application/json"])
        #expect(post.http?.validStatusCodes == ["200", "201"])
        #expect(post.http?.failIfBodyNotMatchesRegexp == ["ok"] && post.http?.tlsConfig?.insecureSkipVerify == true)
        #expect(modules["http_post_2xx"]?.ignored == ["http.valid_http_versions"])
    }

    @Test("modules pingmesh cannot honour are refused, naming the field, rather than run as something weaker")
    func refusals() throws {
        let modules = try Self.modules()
        #expect(modules["pop3s_banner"]?.settings == nil)
        #expect(modules["pop3s_banner"]?.refusal?.hasPrefix("tcp.query_response") == true)
        #expect(modules["grpc"]?.refusal == "prober: 'grpc' is not one pingmesh runs (http, tcp, icmp, dns)")
        #expect(modules["dns_no_question"]?.refusal == "dns.query_name: required for a dns module")
        #expect(modules["tcp_connect"]?.settings?.kind == .tcp && modules["tcp_connect"]?.refusal == nil)
    }

    @Test("icmp and dns modules: payload, family, question, transport, rcodes and answer patterns")
    func icmpAndDNS() throws {
        let modules = try Self.modules()
        let icmp = try #require(modules["icmp_ttl5"]?.settings)
        #expect(icmp.kind == .icmp && icmp.payloadBytes == 56 && icmp.timeout == .seconds(5) && icmp.ipProtocol == .both)
        #expect(modules["icmp_ttl5"]?.ignored == ["icmp.ttl"])
        let dns = try #require(modules["dns_tcp"]?.settings?.dns)
        #expect(dns.queryName == "www.example.com" && dns.queryType == "AAAA" && dns.transport == "tcp")
        #expect(dns.validRcodes == ["NOERROR", "NXDOMAIN"] && dns.failIfNoneMatchesRegexp == ["example"])
    }

    @Test("a malformed file names the field: a module without a prober, a bad IP family, an unknown top-level key")
    func malformed() {
        let cases = [
            ("modules: {x: {timeout: 5s}}", "modules.x.prober: required"),
            ("modules: {x: {prober: tcp, tcp: {preferred_ip_protocol: ip5}}}", "modules.x.tcp.preferred_ip_protocol: 'ip5' is not ip4 or ip6"),
            ("modulez: {}", "modulez"),
        ]
        for (text, message) in cases {
            #expect {
                try ConfigDocument.decode(BlackboxConfigFile.self, from: Data(text.utf8), file: "b.yml")
            } throws: { error in
                "\(error)".contains(message)
            }
        }
    }
}
