import NIOCore
import PingmeshTestSupport
import Testing

@testable import PingmeshAgent
@testable import PingmeshModel
@testable import PingmeshProbe

/// Name resolution in the agent's metrics: `unresolved` results, each named target's lookup
/// time, and HTTP's `resolve` phase; promtool accepts all of it.
@Suite("Resolution metrics")
struct ResolutionMetricsTests {
    private func text(_ metrics: AgentMetrics) -> String { String(decoding: metrics.exposition(), as: UTF8.self) }

    private static let nameless = ProbeTarget(name: "svc", group: "g", kind: .http, host: "svc.invalid", port: 80)
    private static let named = ProbeTarget(name: "web", group: "g", kind: .http, host: "web.example", port: 80)
    private static let literal = ProbeTarget(name: "peer", group: "g", kind: .http, host: "10.0.0.1", port: 80)

    private static func list() throws -> ResolvedPinglist {
        ResolvedPinglist(
            pinglist: Pinglist(version: "v1", settings: ProbeSettings(), targets: [named, literal, nameless]),
            targets: [
                ScheduledTarget(target: named, address: try SocketAddress(ipAddress: "10.0.0.9", port: 80), resolveTime: .microseconds(1500)),
                ScheduledTarget(target: literal, address: try SocketAddress(ipAddress: "10.0.0.1", port: 80)),
            ],
            unresolved: [ScheduledTarget(unresolved: nameless, reason: "cannot resolve svc.invalid", resolveTime: .milliseconds(3))])
    }

    @Test("an unresolved round counts as a failed probe of its own class and keeps the target's failed series", .requires(.tool(.promtool)))
    func unresolvedResults() async throws {
        let metrics = AgentMetrics(kinds: [.http])
        let list = try Self.list()
        metrics.pinglistSwapped(to: list)
        let unresolved = try #require(list.unresolved.first)
        metrics.record(try #require(unresolved.unresolvedOutcome), for: unresolved)
        metrics.pinglistSwapped(to: list)
        let exposition = text(metrics)
        #expect(exposition.contains(#"pingmesh_probes_total{kind="http",result="unresolved"} 1"#))
        #expect(exposition.contains(#"pingmesh_target_failed{target="svc""#), "the swap kept the unresolved target's series")
        #expect(exposition.contains("pingmesh_agent_targets_unresolved 1"))
        #expect(exposition.contains("pingmesh_agent_targets 2"))
        let check = try await Promtool.check(exposition)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }

    @Test(
        "each named target's latest lookup time, failed ones included; none for literals; gone with the target",
        .requires(.tool(.promtool)))
    func lookupTimes() async throws {
        let metrics = AgentMetrics(kinds: [.http])
        let list = try Self.list()
        metrics.namesResolved(list)
        let exposition = text(metrics)
        #expect(exposition.contains(#"pingmesh_probe_dns_lookup_time_seconds{target="web",address="web.example:80""#))
        #expect(exposition.contains(#"pingmesh_probe_dns_lookup_time_seconds{target="svc",address="svc.invalid:80""#))
        #expect(!exposition.contains(#"pingmesh_probe_dns_lookup_time_seconds{target="peer""#), "a literal address takes no lookup")
        let web = exposition.split(separator: "\n").first { $0.hasPrefix(#"pingmesh_probe_dns_lookup_time_seconds{target="web""#) }
        #expect(web.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) } == 0.0015)
        let check = try await Promtool.check(exposition)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        var smaller = list
        smaller.targets.removeFirst()
        metrics.namesResolved(smaller)
        #expect(!text(metrics).contains(#"pingmesh_probe_dns_lookup_time_seconds{target="web""#))
    }

    @Test("an HTTP probe's resolve phase is its name's lookup time, in the phase histogram", .requires(.tool(.promtool)))
    func httpResolvePhase() async throws {
        let metrics = AgentMetrics(kinds: [.http])
        var ok = ProbeOutcome.answered(rtt: .microseconds(900), delay: .milliseconds(10))
        ok.httpPhases = HTTPPhases(connect: .microseconds(80), status: 200, resolve: .microseconds(1500))
        let scheduled = try Self.list().targets[0]
        metrics.record(ok, for: scheduled)
        let exposition = text(metrics)
        #expect(exposition.contains(#"pingmesh_http_phase_seconds_count{phase="resolve"} 1"#))
        let check = try await Promtool.check(exposition)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }
}
