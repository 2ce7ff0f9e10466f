import NIOCore
import PingmeshTestSupport
import Testing

@testable import PingmeshAgent
@testable import PingmeshModel
@testable import PingmeshProbe

/// `pingmesh_probe_ntp_offset_seconds`: one gauge per NTP target while it answers.
@Suite("NTP clock offset metric")
struct ClockOffsetMetricsTests {
    private func ntpTarget(_ host: String) -> ScheduledTarget {
        let target = ProbeTarget(name: "time-\(host)", group: "time", kind: .ntp, host: host, port: 123, labels: ["dc": "dc1"])
        return ScheduledTarget(target: target, address: try! SocketAddress(ipAddress: host, port: 123))
    }

    private func text(_ metrics: AgentMetrics) -> String { String(decoding: metrics.exposition(), as: UTF8.self) }

    @Test(
        "an answer sets the target's offset, a failure or leaving the pinglist removes it, and promtool accepts it",
        .requires(.tool(.promtool)))
    func offsetGauge() async throws {
        let metrics = AgentMetrics(kinds: [.ntp])
        let server = ntpTarget("10.0.0.123")
        var answered = ProbeOutcome.answered(rtt: .microseconds(300), delay: .milliseconds(10))
        answered.clockOffset = .milliseconds(-250)
        metrics.record(answered, for: server)
        let exposition = text(metrics)
        #expect(
            exposition.contains(
                #"pingmesh_probe_ntp_offset_seconds{target="time-10.0.0.123",address="10.0.0.123:123",group="time",kind="ntp""#))
        #expect(exposition.contains("dc=\"dc1\"") && exposition.contains("} -0.25"), "\(exposition)")
        let check = try await Promtool.check(exposition)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        metrics.record(ProbeOutcome(result: .error, detail: "kiss-o'-death RATE"), for: server)
        #expect(!text(metrics).contains("pingmesh_probe_ntp_offset_seconds{"), "a failing server has no current offset")

        metrics.record(answered, for: server)
        #expect(text(metrics).contains("pingmesh_probe_ntp_offset_seconds{"))
        metrics.pinglistSwapped(to: ResolvedPinglist(pinglist: .empty, targets: []))
        #expect(!text(metrics).contains("pingmesh_probe_ntp_offset_seconds{"), "a target that left the list has no series")
    }

    @Test("other kinds never get an offset series")
    func otherKinds() {
        let metrics = AgentMetrics(kinds: [.tcp])
        let target = ProbeTarget(name: "peer", group: "g", kind: .tcp, host: "10.0.0.1", port: 9301)
        var outcome = ProbeOutcome.answered(rtt: .microseconds(80), delay: .milliseconds(10))
        outcome.clockOffset = .seconds(1)
        metrics.record(outcome, for: ScheduledTarget(target: target, address: try! SocketAddress(ipAddress: "10.0.0.1", port: 9301)))
        #expect(!text(metrics).contains("pingmesh_probe_ntp_offset_seconds"))
    }
}
