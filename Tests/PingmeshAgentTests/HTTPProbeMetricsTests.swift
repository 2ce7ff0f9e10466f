import Foundation
import NIOCore
import PingmeshTestSupport
import Testing

@testable import PingmeshAgent
@testable import PingmeshModel
@testable import PingmeshProbe

/// HTTP probes' own series: failures by reason, the tls phase, and each HTTPS target's
/// certificate expiry, which leaves with its target.
@Suite("HTTP probe metrics")
struct HTTPProbeMetricsTests {
    private func target(_ host: String) -> ScheduledTarget {
        var target = ProbeTarget(name: "web-\(host)", group: "web", kind: .http, host: host, port: 443, labels: ["dc": "dc1"])
        target.http = HTTPProbeOptions(path: "/healthz", tls: HTTPTLSOptions())
        return ScheduledTarget(target: target, address: try! SocketAddress(ipAddress: host, port: 443))
    }

    private func text(_ metrics: AgentMetrics) -> String { String(decoding: metrics.exposition(), as: UTF8.self) }

    @Test(
        "the certificate expiry is a per-target gauge, failures count by reason, tls is a phase; promtool accepts it",
        .requires(.tool(.promtool)))
    func expiryAndFailures() async throws {
        let metrics = AgentMetrics(kinds: [.http])
        let expiry = Date(timeIntervalSince1970: 1_900_000_000)
        var ok = ProbeOutcome.answered(rtt: .milliseconds(3), connectRTT: .microseconds(80), delay: .milliseconds(10))
        ok.httpPhases = HTTPPhases(
            connect: .microseconds(80), tls: .milliseconds(2), processing: .microseconds(500), status: 200, certificateNotAfter: expiry)
        let web = target("10.0.0.1")
        metrics.record(ok, for: web)
        var expired = ProbeOutcome(result: .error, detail: "tls: certificate expired at ...")
        expired.httpPhases = HTTPPhases(
            connect: .microseconds(90), certificateNotAfter: Date(timeIntervalSince1970: 1_700_000_000), failure: .certificateExpired)
        metrics.record(expired, for: target("10.0.0.2"))

        let exposition = text(metrics)
        #expect(
            exposition.contains(
                #"pingmesh_probe_tls_cert_expiry_timestamp_seconds{target="web-10.0.0.1",address="10.0.0.1:443",group="web",kind="http",region="",dc="dc1",podset="",pod="",tor=""} 1900000000"#
            ), "\(exposition)")
        #expect(exposition.contains(#"address="10.0.0.2:443""#) && exposition.contains("1700000000"), "a failed handshake's expiry is kept")
        #expect(exposition.contains(#"pingmesh_http_probe_failures_total{reason="tls_certificate_expired"} 1"#))
        #expect(
            exposition.contains(#"pingmesh_http_probe_failures_total{reason="status_not_accepted"} 0"#),
            "every reason exists from the start")
        #expect(exposition.contains(#"pingmesh_http_phase_seconds_count{phase="tls"} 1"#))
        let check = try await Promtool.check(exposition)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        metrics.pinglistSwapped(to: ResolvedPinglist(pinglist: .empty, targets: [web]))
        let after = text(metrics)
        #expect(
            after.contains(#"address="10.0.0.1:443""#) && !after.contains(#"address="10.0.0.2:443""#),
            "a target that left takes its expiry with it")
    }

    @Test("no HTTP series on an agent that sends no HTTP probes")
    func absentWithoutHTTP() {
        let exposition = text(AgentMetrics(kinds: [.tcp]))
        #expect(!exposition.contains("pingmesh_http_probe_failures_total") && !exposition.contains("tls_cert_expiry"))
    }
}
