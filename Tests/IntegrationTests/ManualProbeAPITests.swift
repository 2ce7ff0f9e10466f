import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import PingmeshTestSupport
import Testing

/// The collector's probe form (`POST /v1/probe`, `--manual-probe`) on a real collector process:
/// a target the pinglist rules refuse is the caller's mistake, a 400 naming the field, never a
/// 5xx (schemathesis' fuzzing cannot reach these: the schema does not know the address rules).
@Suite("Manual probe API")
struct ManualProbeAPITests {
    @Test("bad targets are 400s that name the field; a good one is probed", .requires(.pingmeshBinary))
    func badTargets() async throws {
        let binary = try PingmeshBinary.require()
        let directory = try ScratchDirectory.make("pingmesh-manual")
        defer { ScratchDirectory.remove(directory) }
        let port = try await TCPResponderHelper.freePort(host: "127.0.0.1")
        let collector = try BackgroundProcess(
            binary,
            [
                "collector", "--store", "sqlite:\(directory)/c.db", "--listen", "127.0.0.1:\(port)", "--manual-probe",
                "--insecure-open-admin", "--log-level", "error",
            ],
            logPath: "\(directory)/collector.log")
        defer { collector.terminate() }

        func post(_ body: String) async -> (status: UInt, text: String) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/probe")
            request.method = .POST
            request.body = .bytes(ByteBuffer(string: body))
            guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(10)) else { return (0, "") }
            return (response.status.code, String(buffer: (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()))
        }
        var ready = false
        for _ in 0..<80 where !ready {
            ready = await post("{}").status != 0
            if !ready { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(ready, "the collector did not start; log:\n\(collector.logTail())")

        let cases = [
            (#"{"kind":"tcp","target":"999.1.1.1:80"}"#, "target.address: '999.1.1.1' is neither an IP address nor a valid host name"),
            (#"{"kind":"tcp","target":"not a host:80"}"#, "target.address: 'not a host' is neither"),
            (#"{"kind":"tcp","target":"127.0.0.1:99999"}"#, "target.port: 99999 is outside 1...65535"),
            (#"{"kind":"ftp","target":"127.0.0.1:21"}"#, "kind"),
            (#"{"kind":"dns","target":"127.0.0.1:53"}"#, "dns.query_name: a dns probe needs the name to ask for"),
            (#"{"kind":"tcp","target":"127.0.0.1:80","dns":{"query_name":"a.example"}}"#, "dns: only dns probes take dns options, not tcp"),
            (#"{"kind":"dns","target":"127.0.0.1:53","dns":{"query_name":"a.example","query_type":"AAAB"}}"#, "query_type"),
        ]
        for (body, expected) in cases {
            let (status, text) = await post(body)
            #expect(status == 400 && text.contains(expected), "\(body): \(status) \(text)")
        }
        // A port nobody listens on: probed, and answered as refused, not an HTTP error.
        let (status, text) = await post(#"{"kind":"tcp","target":"127.0.0.1:9","count":1}"#)
        #expect(status == 200 && text.contains("refused"), "\(status) \(text)")
        // A dns probe with its question: probed (a closed loopback port answers port unreachable).
        let closed = try await TCPResponderHelper.freePort(host: "127.0.0.1")
        let (dnsStatus, dnsText) = await post(#"{"kind":"dns","target":"127.0.0.1:\#(closed)","count":1,"dns":{"query_name":"www.example.com"}}"#)
        #expect(dnsStatus == 200 && dnsText.contains("refused") && dnsText.contains(#""kind":"dns""#), "\(dnsStatus) \(dnsText)")
        #expect(collector.process.isRunning)
    }
}
