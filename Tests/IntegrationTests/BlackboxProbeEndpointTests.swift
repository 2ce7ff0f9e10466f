import AsyncHTTPClient
import Foundation
import NIOCore
import PingmeshTestSupport
import Testing

/// A real agent with `--blackbox-config` answering blackbox_exporter's `/probe` as a Prometheus
/// scrape job written for blackbox_exporter or pingmesh-agent asks it, on loopback.
@Suite("blackbox_exporter /probe on the agent")
struct BlackboxProbeEndpointTests {
    static let modules = """
        modules:
          http_2xx: {prober: http, timeout: 2s}
          http_teapot: {prober: http, http: {valid_status_codes: [418]}}
          tcp_connect: {prober: tcp, timeout: 2s}
          pop3s_banner: {prober: tcp, tcp: {query_response: [{expect: "^+OK"}]}}
        """

    @Test(
        "tcp and http modules probe the target and answer blackbox's metrics; failures are probe_success 0; bad requests are 400s naming the parameter",
        .requires(.pingmeshBinary, .tool(.promtool)))
    func probe() async throws {
        let binary = try PingmeshBinary.require()
        let directory = try ScratchDirectory.make("pingmesh-blackbox")
        defer { ScratchDirectory.remove(directory) }
        let host = "127.0.95.1"
        let (http, tcp, udp) = (
            try await TCPResponderHelper.freePort(host: host), try await TCPResponderHelper.freePort(host: host),
            try await TCPResponderHelper.freePort(host: host)
        )
        try Self.modules.write(toFile: "\(directory)/blackbox.yml", atomically: true, encoding: .utf8)
        try """
        settings: {interval: 10s, timeout: 2s}
        groups:
          - {name: self, kind: tcp, targets: [{address: \(host), port: \(tcp)}]}
        """.write(toFile: "\(directory)/pinglist.yaml", atomically: true, encoding: .utf8)
        let agent = try BackgroundProcess(
            binary,
            [
                "agent", "--pinglist", "\(directory)/pinglist.yaml", "--name", "bb", "--listen", "\(host):\(http)", "--tcp-listen", "\(host):\(tcp)",
                "--udp-listen", "\(host):\(udp)", "--blackbox-config", "\(directory)/blackbox.yml", "--log-level", "error",
            ], logPath: "\(directory)/agent.log")
        defer { agent.terminate() }

        func get(_ query: String) async -> (status: UInt, text: String) {
            var request = HTTPClientRequest(url: "http://\(host):\(http)/probe?\(query)")
            request.headers.add(name: "X-Prometheus-Scrape-Timeout-Seconds", value: "10")
            guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(15)) else { return (0, "") }
            return (response.status.code, String(buffer: (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()))
        }
        var ready = false
        for _ in 0..<80 where !ready {
            ready = await get("module=tcp_connect").status != 0
            if !ready { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(ready, "the agent did not start; log:\n\(agent.logTail())")

        // The agent's own TCP responder and /ping: up.
        let tcpUp = await get("module=tcp_connect&target=\(host):\(tcp)")
        #expect(tcpUp.status == 200 && tcpUp.text.contains("probe_success 1") && tcpUp.text.contains("probe_ip_protocol 4"), "\(tcpUp.text)")
        #expect(tcpUp.text.contains(#"pingmesh_probe_result{result="ok"} 1"#))
        let checked = try await Promtool.check(tcpUp.text)
        #expect(checked.status == 0, "promtool: \(checked.stdout)\(checked.stderr)")
        let httpUp = await get("target=http://\(host):\(http)/ping")  // no module: blackbox's default, http_2xx
        #expect(httpUp.status == 200 && httpUp.text.contains("probe_success 1"), "\(httpUp.text)")
        // A status the module does not accept, and a port nobody listens on: down, still 200s.
        let teapot = await get("module=http_teapot&target=http://\(host):\(http)/ping")
        #expect(teapot.status == 200 && teapot.text.contains("probe_success 0"), "\(teapot.text)")
        let closed = try await TCPResponderHelper.freePort(host: host)
        let refused = await get("module=tcp_connect&target=\(host):\(closed)")
        #expect(refused.status == 200 && refused.text.contains("probe_success 0") && refused.text.contains(#"result="refused""#), "\(refused.text)")
        // A host name: its lookup time, as blackbox_exporter reports it; one without an address
        // is down with pingmesh's own class for it.
        let named = await get("module=tcp_connect&target=localhost:\(tcp)")
        #expect(named.text.contains("probe_dns_lookup_time_seconds "), "\(named.text)")
        #expect(!tcpUp.text.contains("probe_dns_lookup_time_seconds"), "a literal address takes no lookup")
        let nameless = await get("module=tcp_connect&target=nosuch.invalid:\(tcp)")
        #expect(
            nameless.status == 200 && nameless.text.contains("probe_success 0") && nameless.text.contains(#"pingmesh_probe_result{result="unresolved"} 1"#)
                && nameless.text.contains("probe_dns_lookup_time_seconds "), "\(nameless.text)")
        let namelessChecked = try await Promtool.check(nameless.text)
        #expect(namelessChecked.status == 0, "promtool: \(namelessChecked.stdout)\(namelessChecked.stderr)")

        let bad = [
            ("module=nope&target=\(host):\(tcp)", "module: unknown module 'nope'"),
            ("module=pop3s_banner&target=\(host):\(tcp)", "module pop3s_banner: tcp.query_response"),
            ("module=tcp_connect", "target: missing"),
            ("module=tcp_connect&target=\(host)", "target"),
        ]
        for (query, message) in bad {
            let (status, text) = await get(query)
            #expect(status == 400 && text.contains(message), "\(query): \(status) \(text)")
        }
        #expect(agent.process.isRunning)
    }

    @Test("a bad --blackbox-config stops the agent at start with the file and field named", .requires(.pingmeshBinary))
    func badFile() async throws {
        let binary = try PingmeshBinary.require()
        let directory = try ScratchDirectory.make("pingmesh-blackbox")
        defer { ScratchDirectory.remove(directory) }
        try "modules: {x: {timeout: 5s}}".write(toFile: "\(directory)/blackbox.yml", atomically: true, encoding: .utf8)
        try "settings: {interval: 10s}\ngroups: []\n".write(toFile: "\(directory)/pinglist.yaml", atomically: true, encoding: .utf8)
        let result = try await Command.run(
            binary, ["agent", "--pinglist", "\(directory)/pinglist.yaml", "--blackbox-config", "\(directory)/blackbox.yml", "--listen", "127.0.95.2:0"])
        #expect(result.status != 0 && result.stderr.contains("blackbox.yml") && result.stderr.contains("modules.x.prober"), "\(result.status) \(result.stderr)")
        // check-config reads such files too: the bad one fails the same way, a good one lists its modules.
        let bad = try await Command.run(binary, ["check-config", "\(directory)/blackbox.yml"])
        #expect(bad.status == 1 && bad.stderr.contains("modules.x.prober: required"), "\(bad.stderr)")
        try Self.modules.write(toFile: "\(directory)/good.yml", atomically: true, encoding: .utf8)
        let good = try await Command.run(binary, ["check-config", "\(directory)/good.yml"])
        #expect(good.status == 0 && good.stdout.contains("OK (blackbox_exporter modules, 4)"), "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("pop3s_banner: refused, tcp.query_response") && good.stdout.contains("tcp_connect: tcp probe"), "\(good.stdout)")
    }
}
