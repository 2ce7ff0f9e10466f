import Foundation
import PingmeshTestSupport
import Testing

/// `pingmesh probe dns` and `pingmesh probe ntp` as an operator runs them: flags checked and named,
/// the outcome class in the output and the exit code. (The probes themselves are tested against
/// dnsmasq and chronyd in PingmeshProbeTests.)
@Suite("pingmesh probe dns and ntp", .requires(.pingmeshBinary))
struct ProbeCommandDNSNTPTests {
    @Test("bad dns flags exit 2 with a message naming the flag; dns flags on another kind too")
    func badFlags() async throws {
        let binary = try PingmeshBinary.require()
        let cases: [(arguments: [String], message: String)] = [
            (["probe", "dns", "127.0.0.1:53"], "--query-name: required for dns probes"),
            (
                ["probe", "dns", "127.0.0.1:53", "--query-name", "a.example", "--query-type", "AAAB"],
                "--query-type: 'AAAB' is not one of A, AAAA"
            ),
            (
                ["probe", "dns", "127.0.0.1:53", "--query-name", "a.example", "--transport", "quic"],
                "--transport: 'quic' is not one of udp, tcp"
            ),
            (
                ["probe", "dns", "127.0.0.1:53", "--query-name", "a.example", "--valid-rcodes", "NOERROR,NOPE"],
                "--valid-rcodes: 'NOPE' is not one of"
            ),
            (["probe", "dns", "127.0.0.1:53", "--query-name", "a..example"], "--query-name: 'a..example' is not a domain name"),
            (["probe", "tcp", "127.0.0.1:1", "--query-type", "A"], "--query-type: only dns probes take it"),
        ]
        for (arguments, message) in cases {
            let result = try await Command.run(binary, arguments)
            #expect(result.status == 2 && result.stderr.contains(message), "\(arguments): \(result.status) \(result.stderr)")
        }
        // `task run` takes the same flags, checked before the controller is asked.
        let task: [(arguments: [String], message: String)] = [
            (["probe", "dns", "127.0.0.1"], "--query-name: required for dns probes"),
            (["probe", "tcp", "127.0.0.1:80", "--query-name", "a.example"], "--query-name: only dns probes take it"),
            (["probe", "dns", "127.0.0.1", "--query-name", "a.example", "--query-type", "AAAB"], "--query-type: 'AAAB' is not one of A, AAAA"),
        ]
        for (arguments, message) in task {
            let result = try await Command.run(binary, ["task", "run", "--select", "dc=dc1", "--controller", "http://127.0.0.1:1"] + arguments)
            #expect(result.status != 0 && result.stderr.contains(message), "task run \(arguments): \(result.status) \(result.stderr)")
        }
    }

    @Test("ntp and dns to a closed loopback port are refused (ICMP port unreachable), exit 1; the port is optional")
    func refused() async throws {
        let binary = try PingmeshBinary.require()
        let port = try await TCPResponderHelper.freePort(host: "127.0.91.4")
        let ntp = try await Command.run(binary, ["probe", "ntp", "127.0.91.4:\(port)", "--json"])
        #expect(ntp.status == 1, "\(ntp.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(ntp.stdout.utf8)) as? [String: Any]
        #expect(document?["kind"] as? String == "ntp")
        #expect(((document?["probes"] as? [[String: Any]])?.first?["result"] as? String) == "refused", "\(ntp.stdout)")

        let dns = try await Command.run(
            binary, ["probe", "dns", "127.0.91.4:\(port)", "--query-name", "www.example.com", "--transport", "tcp"])
        #expect(dns.status == 1 && dns.stdout.contains(" refused"), "\(dns.stdout)\(dns.stderr)")
        // Without a port, the well-known one: only the target line's port is checked, not the answer.
        let bare = try await Command.run(
            binary, ["probe", "dns", "127.0.91.4", "--query-name", "www.example.com", "--timeout", "200ms", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(bare.stdout.utf8)) as? [String: Any])?["target"] as? String == "127.0.91.4:53")
    }
}
