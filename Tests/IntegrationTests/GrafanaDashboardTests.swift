import Foundation
import NIOCore
import PingmeshController
import PingmeshTestSupport
import Testing

@testable import PingmeshAgent
@testable import PingmeshCollector
@testable import PingmeshModel
@testable import PingmeshProbe

/// The Grafana dashboards in deploy/grafana import as they are (core panels only, every query on
/// the `${datasource}` variable), read only metrics an agent, the controller or the collector
/// really exports, and the Prometheus scrape configuration they assume is valid.
@Suite("Grafana dashboards")
struct GrafanaDashboardTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let grafana = root.appendingPathComponent("deploy/grafana")
    static let prometheusConfig = root.appendingPathComponent("deploy/prometheus/prometheus.yml")

    /// Panels every Grafana ships (10.x, 11.x); rows only lay them out.
    static let corePanelTypes: Set<String> = [
        "timeseries", "stat", "gauge", "table", "heatmap", "state-timeline", "status-history", "bargauge",
    ]
    /// Series Prometheus itself adds for every scrape target.
    static let scrapeSeries: Set<String> = [
        "up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling", "scrape_series_added",
    ]

    struct Dashboard {
        var file: String
        var json: [String: Any]
    }

    struct MalformedDashboard: Error, CustomStringConvertible {
        var description: String
    }

    static func dashboards() throws -> [Dashboard] {
        let files = try FileManager.default.contentsOfDirectory(atPath: grafana.path).filter { $0.hasSuffix(".json") }.sorted()
        return try files.map { file in
            let data = try Data(contentsOf: grafana.appendingPathComponent(file))
            guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw MalformedDashboard(description: "\(file): not a JSON object")
            }
            return Dashboard(file: file, json: json)
        }
    }

    /// Every panel, including those inside rows.
    static func panels(of dashboard: [String: Any]) -> [[String: Any]] {
        var result: [[String: Any]] = []
        for panel in dashboard["panels"] as? [[String: Any]] ?? [] {
            result.append(panel)
            result += panel["panels"] as? [[String: Any]] ?? []
        }
        return result
    }

    static func variables(of dashboard: [String: Any]) -> [[String: Any]] {
        (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
    }

    /// A panel's, query's or variable's datasource names the `datasource` template variable.
    static func refersToVariable(_ value: Any?) -> Bool {
        let uid: String?
        if let object = value as? [String: Any] {
            if let type = object["type"] as? String, type != "prometheus" { return false }
            uid = object["uid"] as? String
        } else {
            uid = value as? String
        }
        return uid == "${datasource}" || uid == "$datasource"
    }

    /// Every PromQL expression of a dashboard, with where it is: panel queries, annotation
    /// queries, and the series selectors of its query variables.
    static func queries(in dashboard: [String: Any]) -> [(place: String, expr: String)] {
        var result: [(place: String, expr: String)] = []
        for panel in panels(of: dashboard) {
            let title = panel["title"] as? String ?? "?"
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                if let expr = target["expr"] as? String { result.append((place: "panel \"\(title)\"", expr: expr)) }
            }
        }
        for annotation in (dashboard["annotations"] as? [String: Any])?["list"] as? [[String: Any]] ?? [] {
            if let expr = annotation["expr"] as? String {
                result.append((place: "annotation \"\(annotation["name"] as? String ?? "?")\"", expr: expr))
            }
        }
        for variable in variables(of: dashboard) where variable["type"] as? String == "query" {
            let query = variable["query"] as? String ?? (variable["query"] as? [String: Any])?["query"] as? String ?? ""
            if let expr = PromQL.seriesExpression(ofVariableQuery: query) {
                result.append((place: "variable $\(variable["name"] as? String ?? "?")", expr: expr))
            }
        }
        return result
    }

    // MARK: The real expositions

    /// An agent that sends every kind, uploads, keeps per-target histograms and has a target
    /// answering, one slow and one failing: every series it can export is there.
    static func agentExposition() throws -> String {
        let metrics = AgentMetrics(kinds: [.tcp, .udp, .icmp, .http], perTargetHistograms: true, upload: true)
        let labels = ["region": "r1", "dc": "dc1", "podset": "ps1", "pod": "p7", "tor": "t7"]
        func scheduled(_ host: String) throws -> ScheduledTarget {
            let target = ProbeTarget(name: "server-\(host)", group: "tor-t7", kind: .tcp, host: host, port: 9301, labels: labels)
            return ScheduledTarget(target: target, address: try SocketAddress(ipAddress: host, port: 9301))
        }
        metrics.pinglistLoaded(version: "v1")
        metrics.pullFinished(.ok)
        let healthy = try scheduled("10.0.0.1")
        let slow = try scheduled("10.0.0.2")
        let failing = try scheduled("10.0.0.3")
        var answered = ProbeOutcome.answered(rtt: .microseconds(80), connectRTT: .microseconds(80), delay: .milliseconds(10))
        answered.synRetransmits = 1
        metrics.record(answered, for: healthy)
        metrics.record(.answered(rtt: .milliseconds(30), delay: .milliseconds(10)), for: slow)
        metrics.record(ProbeOutcome(result: .timeout), for: failing)
        metrics.roundFinished(at: .seconds(10), duration: .seconds(9), overran: false)
        return String(decoding: metrics.exposition(), as: UTF8.self)
    }

    /// A collector that has stored a batch and published a minute of per-level aggregates.
    static func collectorExposition() -> String {
        let metrics = CollectorMetrics()
        metrics.batch("stored", summaries: 2, failures: 1, duration: .milliseconds(3))
        var rtt = LatencySketch()
        rtt.record(.microseconds(300))
        rtt.record(.milliseconds(6))
        var rows: [TopologyLevel: [PairAggregate]] = [:]
        for level in LevelAggregates.levels {
            rows[level] = [
                PairAggregate(
                    level: level, resolution: .minute, window: 1_700_000_040, source: "a", destination: "b", kind: .tcp,
                    counts: ResultCounts(ok: 999, timeout: 1), rtt: rtt)
            ]
        }
        metrics.setLevels(LevelAggregates().render(rows))
        return String(decoding: metrics.exposition(), as: UTF8.self)
    }

    static func controllerExposition() -> String {
        String(decoding: ControllerMetrics().exposition(), as: UTF8.self)
    }

    /// Metric names in an exposition: those of `# HELP`/`# TYPE` lines and of samples (which
    /// include a histogram's `_bucket`, `_sum` and `_count`).
    static func metricNames(inExposition exposition: String) -> Set<String> {
        var names = Set<String>()
        for line in exposition.split(separator: "\n") {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let fields = line.split(separator: " ")
                if fields.count >= 3 { names.insert(String(fields[2])) }
            } else if !line.hasPrefix("#") {
                let name = line.prefix { $0 != "{" && $0 != " " }
                if !name.isEmpty { names.insert(String(name)) }
            }
        }
        return names
    }

    static func isExported(_ name: String, in names: Set<String>) -> Bool {
        if names.contains(name) { return true }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            if names.contains(String(name.dropLast(suffix.count))) { return true }
        }
        return false
    }

    // MARK: Tests

    @Test("every dashboard has a title, a unique uid, the datasource variable, and core panels on it")
    func structure() throws {
        let dashboards = try Self.dashboards()
        #expect(dashboards.count >= 3, "deploy/grafana holds \(dashboards.map(\.file))")
        var uids: [String: String] = [:]
        for dashboard in dashboards {
            let file = dashboard.file
            let json = dashboard.json
            let title = json["title"] as? String ?? ""
            #expect(!title.isEmpty, "\(file): no title")
            let uid = json["uid"] as? String ?? ""
            #expect(!uid.isEmpty && uid.count <= 40, "\(file): uid '\(uid)' must be 1 to 40 characters")
            if let other = uids[uid] { Issue.record("\(file): uid '\(uid)' is \(other)'s too") }
            uids[uid] = file
            let schemaVersion = json["schemaVersion"] as? Int ?? 0
            #expect(schemaVersion >= 36, "\(file): schemaVersion \(schemaVersion)")

            let variables = Self.variables(of: json)
            let datasource = variables.first { $0["name"] as? String == "datasource" }
            let datasourceIsPrometheus = datasource?["type"] as? String == "datasource" && datasource?["query"] as? String == "prometheus"
            #expect(datasourceIsPrometheus, "\(file): no `datasource` template variable of type prometheus")
            for variable in variables where variable["type"] as? String == "query" {
                let onVariable = Self.refersToVariable(variable["datasource"])
                #expect(onVariable, "\(file): variable $\(variable["name"] as? String ?? "?") does not query ${datasource}")
            }

            let panels = Self.panels(of: json)
            #expect(panels.contains { $0["type"] as? String != "row" }, "\(file): no panels")
            var ids = Set<Int>()
            for panel in panels {
                let type = panel["type"] as? String ?? ""
                let name = "\(file): panel \"\(panel["title"] as? String ?? "?")\""
                if let id = panel["id"] as? Int {
                    #expect(ids.insert(id).inserted, "\(name): id \(id) is used twice")
                } else {
                    Issue.record("\(name): no id")
                }
                let placed = panel["gridPos"] is [String: Any]
                #expect(placed, "\(name): no gridPos")
                if type == "row" { continue }
                #expect(Self.corePanelTypes.contains(type), "\(name): type '\(type)' is not a core panel")
                let onVariable = Self.refersToVariable(panel["datasource"])
                #expect(onVariable, "\(name): its datasource is not ${datasource}")
                let targets = panel["targets"] as? [[String: Any]] ?? []
                #expect(!targets.isEmpty, "\(name): no queries")
                for target in targets {
                    let onVariable = target["datasource"] == nil || Self.refersToVariable(target["datasource"])
                    #expect(onVariable, "\(name): a query not on ${datasource}")
                    let expr = target["expr"] as? String ?? ""
                    #expect(!expr.isEmpty, "\(name): a query without expr")
                }
            }
        }
    }

    @Test("the PromQL reader finds metric names and nothing else")
    func promQLReader() {
        let quantile = #"histogram_quantile(0.99, sum by (le, kind) (rate(a_bucket{job=~"$job", x="y{1}"}[$__rate_interval])))"#
        #expect(PromQL.metricNames(in: quantile + " / on (kind) group_left (tor) b offset 1h") == ["a_bucket", "b"])
        #expect(PromQL.metricNames(in: #"quantile by (level) (0.5, c{p="99.9"}) > bool 1e-3 or vector(0)"#) == ["c"])
        #expect(PromQL.metricNames(in: "sum(rate(d[5m])) without (instance) and time() - e_seconds > Inf") == ["d", "e_seconds"])
        #expect(PromQL.seriesExpression(ofVariableQuery: #"label_values(f{dc=~"$dc", tor="a,b"}, tor)"#) == #"f{dc=~"$dc", tor="a,b"}"#)
        #expect(PromQL.seriesExpression(ofVariableQuery: "label_values(job)") == nil)
    }

    @Test("every metric a dashboard queries is one an agent, the controller or the collector exports")
    func metricsExist() throws {
        let agent = try Self.agentExposition()
        let expositions = ["agent": agent, "collector": Self.collectorExposition(), "controller": Self.controllerExposition()]
        var exported = Set<String>()
        for (component, exposition) in expositions {
            let names = Self.metricNames(inExposition: exposition)
            #expect(names.contains { $0.hasPrefix("pingmesh_") }, "the \(component) exposition holds no pingmesh_ metric:\n\(exposition)")
            exported.formUnion(names)
        }
        var used = Set<String>()
        for dashboard in try Self.dashboards() {
            let queries = Self.queries(in: dashboard.json)
            #expect(!queries.isEmpty, "\(dashboard.file): no queries")
            for (place, expr) in queries {
                let names = PromQL.metricNames(in: expr)
                #expect(!names.isEmpty, "\(dashboard.file): \(place): no metric in \(expr)")
                for name in names.sorted() {
                    used.insert(name)
                    #expect(
                        Self.scrapeSeries.contains(name) || Self.isExported(name, in: exported),
                        "\(dashboard.file): \(place) reads \(name), which no Pingmesh component exports")
                }
            }
        }
        // The dashboards cover all three components.
        for prefix in ["pingmesh_probe", "pingmesh_upload_", "pingmesh_collector_", "pingmesh_level_", "pingmesh_controller_"] {
            #expect(used.contains { $0.hasPrefix(prefix) }, "no dashboard reads a \(prefix)* metric")
        }
    }

    @Test("promtool check config accepts deploy/prometheus/prometheus.yml and the rules it loads", .requires(.tool(.promtool)))
    func scrapeConfig() async throws {
        let text = try String(contentsOf: Self.prometheusConfig, encoding: .utf8)
        for job in ["pingmesh-agent", "pingmesh-controller", "pingmesh-collector"] {
            #expect(text.contains("job_name: \(job)"), "prometheus.yml has no \(job) job")
        }
        #expect(text.contains("pingmesh-rules.yaml"), "prometheus.yml does not load the alerting rules")
        let promtool = try Tool.promtool.path()
        let check = try await Command.run(promtool, ["check", "config", Self.prometheusConfig.path])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }
}

// MARK: PromQL

/// Just enough of PromQL's lexical structure to list the metric names an expression reads.
enum PromQL {
    /// Keywords that are not metric names when they stand alone.
    static let keywords: Set<String> = [
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan",
    ]
    /// Keywords followed by a parenthesised list of label names.
    static let groupingKeywords: Set<String> = ["by", "without", "on", "ignoring", "group_left", "group_right"]

    /// Metric names in `expr`: identifiers outside label matchers, ranges, strings and grouping
    /// lists that are not functions, aggregations or keywords. Grafana variables (`$name`,
    /// `${name}`) are skipped.
    static func metricNames(in expr: String) -> Set<String> {
        let chars = Array(expr)
        var names = Set<String>()
        var index = 0

        func isIdentifierStart(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c == "_" || c == ":") }
        func isIdentifierPart(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == ":") }
        /// The index after the string literal that starts at `start`.
        func skipString(_ start: Int) -> Int {
            let quote = chars[start]
            var i = start + 1
            while i < chars.count && chars[i] != quote {
                if chars[i] == "\\" && quote != "`" { i += 1 }
                i += 1
            }
            return i + 1
        }
        /// The index after the bracket that closes the one at `start`, skipping strings inside.
        func skipBracketed(_ start: Int) -> Int {
            let open = chars[start]
            let close: Character = open == "{" ? "}" : open == "[" ? "]" : ")"
            var depth = 0
            var i = start
            while i < chars.count {
                let c = chars[i]
                if c == "\"" || c == "'" || c == "`" {
                    i = skipString(i)
                    continue
                }
                if c == open { depth += 1 }
                if c == close {
                    depth -= 1
                    if depth == 0 { return i + 1 }
                }
                i += 1
            }
            return i
        }
        func skipSpaces(_ start: Int) -> Int {
            var i = start
            while i < chars.count && chars[i].isWhitespace { i += 1 }
            return i
        }
        func word(at start: Int) -> (String, Int) {
            var i = start
            while i < chars.count && isIdentifierPart(chars[i]) { i += 1 }
            return (String(chars[start..<i]), i)
        }

        while index < chars.count {
            let c = chars[index]
            if c == "\"" || c == "'" || c == "`" {
                index = skipString(index)
            } else if c == "{" || c == "[" {
                index = skipBracketed(index)
            } else if c == "$" {
                // A Grafana variable: $name or ${name}.
                index += 1
                if index < chars.count && chars[index] == "{" {
                    index = skipBracketed(index)
                } else {
                    while index < chars.count && isIdentifierPart(chars[index]) { index += 1 }
                }
            } else if c.isNumber || (c == "." && index + 1 < chars.count && chars[index + 1].isNumber) {
                // A number (1, 0.99, 1e-3, 0x1f) or a duration (5m).
                index += 1
                while index < chars.count {
                    let d = chars[index]
                    if isIdentifierPart(d) || d == "." {
                        index += 1
                    } else if (d == "+" || d == "-") && (chars[index - 1] == "e" || chars[index - 1] == "E") && index + 1 < chars.count
                        && chars[index + 1].isNumber
                    {
                        index += 1
                    } else {
                        break
                    }
                }
            } else if isIdentifierStart(c) {
                let (name, end) = word(at: index)
                index = end
                let next = skipSpaces(end)
                let lowered = name.lowercased()
                if next < chars.count && chars[next] == "(" {
                    // A function or aggregation call, or a grouping keyword's label list.
                    if groupingKeywords.contains(lowered) { index = skipBracketed(next) }
                } else if keywords.contains(lowered) {
                    continue
                } else if next < chars.count && isIdentifierStart(chars[next])
                    && ["by", "without"].contains(word(at: next).0.lowercased())
                {
                    // An aggregation with its grouping first: sum by (le) (...).
                    continue
                } else {
                    names.insert(name)
                }
            } else {
                index += 1
            }
        }
        return names
    }

    /// The series selector of a Grafana Prometheus variable query, or nil when it reads no
    /// series (`label_values(label)`, `label_names()`).
    static func seriesExpression(ofVariableQuery query: String) -> String? {
        let query = query.trimmingCharacters(in: .whitespaces)
        for function in ["label_values(", "query_result("] where query.hasPrefix(function) && query.hasSuffix(")") {
            let inner = query.dropFirst(function.count).dropLast()
            if function == "query_result(" { return String(inner) }
            // label_values(selector, label): the selector is everything before the last comma.
            guard let comma = inner.lastIndex(of: ",") else { return nil }
            return String(inner[..<comma]).trimmingCharacters(in: .whitespaces)
        }
        return query.hasPrefix("label_names(") || query.hasPrefix("metrics(") ? nil : query
    }
}
