import NIOCore
import PingmeshTestSupport
import Testing

@testable import PingmeshAgent
@testable import PingmeshModel
@testable import PingmeshProbe

@Suite("Agent metrics")
struct AgentMetricsTests {
    private func target(_ host: String, labels: [String: String] = ["dc": "dc1", "tor": "t7"]) -> ScheduledTarget {
        let target = ProbeTarget(name: "server-\(host)", group: "tor-t7", kind: .tcp, host: host, port: 9301, labels: labels)
        return ScheduledTarget(target: target, address: try! SocketAddress(ipAddress: host, port: 9301))
    }

    private func text(_ metrics: AgentMetrics) -> String { String(decoding: metrics.exposition(), as: UTF8.self) }

    @Test("HTTP probes' phases go to one histogram per phase; failed ones do not, and promtool accepts it", .requires(.tool(.promtool)))
    func httpPhases() async throws {
        let metrics = AgentMetrics(kinds: [.http])
        var ok = ProbeOutcome.answered(rtt: .microseconds(900), connectRTT: .microseconds(80), delay: .milliseconds(10))
        ok.httpPhases = HTTPPhases(connect: .microseconds(80), processing: .microseconds(700), transfer: .microseconds(40), status: 200, bodyBytes: 4)
        metrics.record(ok, for: target("10.0.0.1"))
        var failed = ProbeOutcome(result: .error, detail: "HTTP status 503")
        failed.httpPhases = HTTPPhases(connect: .microseconds(80), processing: .milliseconds(5), transfer: nil, status: 503, bodyBytes: 0)
        metrics.record(failed, for: target("10.0.0.2"))
        let exposition = text(metrics)
        #expect(exposition.contains(#"pingmesh_http_phase_seconds_count{phase="connect"} 1"#))
        #expect(exposition.contains(#"pingmesh_http_phase_seconds_count{phase="processing"} 1"#))
        #expect(exposition.contains(#"pingmesh_http_phase_seconds_bucket{phase="processing",le="0.001"} 1"#))
        #expect(exposition.contains(#"pingmesh_http_phase_seconds_count{phase="transfer"} 1"#))
        #expect(!text(AgentMetrics(kinds: [.tcp])).contains("pingmesh_http_phase_seconds"), "no HTTP series without HTTP probes")
        let check = try await Promtool.check(exposition)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }

    @Test("two dns targets asking one server different questions have series of their own", .requires(.tool(.promtool)))
    func dnsTargetsApart() async throws {
        let metrics = AgentMetrics(kinds: [.dns])
        func resolver(_ type: DNSRecordType) throws -> ScheduledTarget {
            var target = ProbeTarget(name: "ns1", group: "dns", kind: .dns, host: "10.0.0.53", port: 53)
            target.dns = DNSProbeOptions(queryName: "www.example.com", queryType: type)
            return ScheduledTarget(target: target, address: try SocketAddress(ipAddress: "10.0.0.53", port: 53))
        }
        let (a, aaaa) = (try resolver(.a), try resolver(.aaaa))
        metrics.record(ProbeOutcome(result: .timeout), for: a)
        metrics.record(ProbeOutcome(result: .timeout), for: aaaa)
        metrics.record(.answered(rtt: .microseconds(80), delay: .milliseconds(10)), for: a)
        let exposition = text(metrics)
        #expect(!exposition.contains(#"address="10.0.0.53:53?name=www.example.com&type=A""#), "A recovered")
        #expect(exposition.contains(#"address="10.0.0.53:53?name=www.example.com&type=AAAA""#), "AAAA still fails: \(exposition)")
        #expect(TopologyLabels.address(of: target("10.0.0.1").target) == "10.0.0.1:9301", "other kinds keep host:port")
        let check = try await Promtool.check(exposition)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }

    @Test("counters and the RTT histogram per kind")
    func aggregates() {
        let metrics = AgentMetrics(kinds: [.tcp])
        metrics.record(.answered(rtt: .microseconds(80), delay: .milliseconds(10)), for: target("10.0.0.1"))
        metrics.record(ProbeOutcome(result: .refused), for: target("10.0.0.2"))
        let exposition = text(metrics)
        #expect(exposition.contains(#"pingmesh_probes_total{kind="tcp",result="ok"} 1"#))
        #expect(exposition.contains(#"pingmesh_probes_total{kind="tcp",result="refused"} 1"#))
        #expect(exposition.contains(#"pingmesh_probes_total{kind="tcp",result="timeout"} 0"#), "series exist before the first failure")
        #expect(exposition.contains(#"pingmesh_probe_rtt_seconds_bucket{kind="tcp",le="0.0001"} 1"#))
        #expect(exposition.contains(#"pingmesh_probe_rtt_seconds_count{kind="tcp"} 1"#), "failed probes have no RTT")
        #expect(!exposition.contains(#"kind="udp""#), "no series for kinds the agent does not send")
    }

    @Test("a failing target has a series only while it fails")
    func failingTarget() {
        let metrics = AgentMetrics(kinds: [.tcp])
        let peer = target("10.0.0.3")
        metrics.record(.answered(rtt: .microseconds(80), delay: .milliseconds(10)), for: peer)
        #expect(!text(metrics).contains("pingmesh_target_failed{"), "healthy targets have no per-target series")
        metrics.record(ProbeOutcome(result: .timeout), for: peer)
        let failing = text(metrics)
        #expect(failing.contains("pingmesh_target_failed{"))
        #expect(failing.contains(#"target="server-10.0.0.3""#))
        #expect(failing.contains(#"group="tor-t7""#))
        #expect(failing.contains(#"tor="t7""#))
        #expect(failing.contains(#"dc="dc1""#))
        metrics.record(.answered(rtt: .microseconds(90), delay: .milliseconds(10)), for: peer)
        #expect(!text(metrics).contains("pingmesh_target_failed{"), "the series goes when the target recovers")
    }

    @Test("a slow target reports its RTT while slow, and switching to failing swaps the series")
    func slowTarget() {
        let metrics = AgentMetrics(kinds: [.tcp])
        let peer = target("10.0.0.4")
        metrics.record(.answered(rtt: .milliseconds(25), delay: .milliseconds(10)), for: peer)
        #expect(text(metrics).contains("pingmesh_target_slow_rtt_seconds{"))
        #expect(text(metrics).contains("} 0.025"))
        metrics.record(ProbeOutcome(result: .refused), for: peer)
        #expect(!text(metrics).contains("pingmesh_target_slow_rtt_seconds{"))
        #expect(text(metrics).contains("pingmesh_target_failed{"))
    }

    @Test("targets that leave the pinglist take their series with them")
    func staleSeries() {
        let metrics = AgentMetrics(kinds: [.tcp])
        metrics.record(ProbeOutcome(result: .timeout), for: target("10.0.0.5"))
        metrics.pinglistSwapped(to: .empty)
        #expect(!text(metrics).contains("pingmesh_target_failed{"))
    }

    @Test("per-target histograms only when asked")
    func perTargetHistograms() {
        let plain = AgentMetrics(kinds: [.tcp])
        let detailed = AgentMetrics(kinds: [.tcp], perTargetHistograms: true)
        for metrics in [plain, detailed] {
            metrics.record(.answered(rtt: .microseconds(80), delay: .milliseconds(10)), for: target("10.0.0.6"))
        }
        #expect(!text(plain).contains("pingmesh_target_rtt_seconds"))
        #expect(text(detailed).contains(#"pingmesh_target_rtt_seconds_count{target="server-10.0.0.6""#))
    }

    @Test("no upload series on an agent that does not upload")
    func noUploadSeries() {
        let metrics = AgentMetrics(kinds: [.tcp])
        #expect(metrics.upload == nil)
        #expect(!text(metrics).contains("pingmesh_upload_"))
    }

    @Test("the exposition passes promtool check metrics", .requires(.tool(.promtool)))
    func promtool() async throws {
        let metrics = AgentMetrics(kinds: [.tcp], perTargetHistograms: true, upload: true)
        let upload = try #require(metrics.upload)
        upload.uploaded(.stored)
        upload.uploaded(.rejected)
        upload.batchesDropped(2)
        upload.spool(batches: 3, bytes: 4096)
        upload.failureRecordsDropped(1)
        metrics.pinglistLoaded(version: "abc123")
        metrics.record(.answered(rtt: .microseconds(80), delay: .milliseconds(10)), for: target("10.0.0.7"))
        metrics.record(.answered(rtt: .milliseconds(30), delay: .milliseconds(10)), for: target("10.0.0.8"))
        metrics.record(ProbeOutcome(result: .timeout), for: target("10.0.0.9", labels: [:]))
        metrics.roundFinished(at: .seconds(10), duration: .seconds(9), overran: false)
        let exposition = text(metrics)
        #expect(exposition.contains(#"pingmesh_agent_pinglist_info{version="abc123"} 1"#))
        #expect(exposition.contains(#"pingmesh_upload_batches_total{result="failed"} 0"#))
        #expect(exposition.contains("pingmesh_upload_rejected_batches_total 1"))
        #expect(exposition.contains("pingmesh_upload_dropped_batches_total 2"))
        #expect(exposition.contains("pingmesh_upload_spool_batches 3"))
        #expect(exposition.contains("pingmesh_upload_last_success_timestamp_seconds "))
        let verdict = try await Promtool.check(exposition)
        #expect(verdict.status == 0, "promtool: \(verdict.stdout)\(verdict.stderr)\n\(exposition)")
    }
}
