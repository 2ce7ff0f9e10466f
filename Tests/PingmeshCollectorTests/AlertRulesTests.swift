import Foundation
import Logging
import PingmeshCollector
import PingmeshTestSupport
import Testing

/// The shipped Prometheus rules are valid and do what their tests say, and the metrics they read
/// are exported under those names in a form promtool accepts.
@Suite("Alerting rules")
struct AlertRulesTests {
    static let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/prometheus")

    @Test("promtool check rules and promtool test rules pass on deploy/prometheus", .requires(.tool(.promtool)))
    func promtoolRules() async throws {
        let promtool = try Tool.promtool.path()
        let check = try await Command.run(promtool, ["check", "rules", Self.rules.appendingPathComponent("pingmesh-rules.yaml").path])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let test = try await Command.run(promtool, ["test", "rules", Self.rules.appendingPathComponent("pingmesh-rules-test.yaml").path])
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
    }

    @Test("every metric the rules read is one the collector or agent exports")
    func rulesReadExportedMetrics() throws {
        let text = try String(contentsOf: Self.rules.appendingPathComponent("pingmesh-rules.yaml"), encoding: .utf8)
        let used = Set(text.matches(of: /pingmesh_[a-z_]+/).map { String($0.output) })
        let documented = try String(
            contentsOf: Self.rules.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        for name in used.sorted() {
            #expect(documented.contains("`\(name)`"), "\(name) is not in docs/metrics.md")
        }
    }

    @Test("the collector's exposition, with incidents open, passes promtool check metrics", .requires(.tool(.promtool)))
    func collectorExposition() async throws {
        let store = try await TemporaryStore.sqlite()
        try await IncidentTests.ingest(.torDown(tor: 2), window: IncidentTests.base, into: store)
        let metrics = CollectorMetrics()
        let logger = Logger(label: "test")
        let maintenance = CollectorMaintenance(
            store: store, metrics: metrics, logger: logger, analyzer: WindowAnalyzer(store: store, logger: logger, replayWindows: 1))
        await maintenance.runOnce(now: IncidentTests.base + 80)
        let exposition = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(exposition.contains(#"pingmesh_collector_incidents_open{kind="tor-down",severity="critical"} 1"#), "\(exposition)")
        #expect(exposition.contains(#"pingmesh_collector_incidents_opened_total{kind="tor-down"} 1"#))
        let verdict = try await Promtool.check(exposition)
        #expect(verdict.status == 0, "promtool: \(verdict.stdout)\(verdict.stderr)\n\(exposition)")
    }
}
