import Foundation
import Hummingbird
import HummingbirdTesting
import PingmeshCollector
import PingmeshModel
import PingmeshTestSupport
import Testing

/// The web UI in a real headless Chromium (Debian's package, driven by Playwright from PyPI:
/// Tests/WebUI/ui_driver.py) against a real collector serving known data. Runs after the other
/// suites (scripts/test.sh), as it loads both cores.
@Suite("EndToEnd: web UI in headless Chromium", .serialized)
struct WebUIEndToEndTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let assets = root.appendingPathComponent("Sources/PingmeshCollector/WebUI/Assets")

    /// Eight servers: two data centers, each one podset of two ToRs of two servers.
    static let servers: [(name: String, labels: [String: String])] = (1...8).map { index in
        let dc = index <= 4 ? "dc1" : "dc2"
        let tor = "\(dc)-t\((index - 1) % 4 / 2 + 1)"
        return ("s\(index)", ["dc": dc, "podset": "\(dc)-ps1", "pod": tor, "tor": tor])
    }

    /// RTTs by how far apart the pair sits: green within a ToR, yellow within a DC, red across.
    static func rtts(_ a: Int, _ b: Int) -> [UInt64] {
        let (x, y) = (servers[a].labels, servers[b].labels)
        let microseconds: UInt64 = x["tor"] == y["tor"] ? 200 : x["dc"] == y["dc"] ? 4_500 : 9_000
        return Array(repeating: microseconds, count: 6)
    }

    /// A store with two minutes of data: s1 -> s8 unreachable (every probe timed out), s2 -> s7
    /// never probed (no data), and s8's agent silent for ten minutes (down).
    static func store() async throws -> SQLiteResultStore {
        let store = try await TemporaryStore.sqlite()
        for minutesAgo: Int64 in [3, 2] {
            let start = BatchFactory.minute(minutesAgo)
            for a in servers.indices {
                var windows: [WindowSummary] = []
                for b in servers.indices where a != b && !(a == 1 && b == 6) {
                    let labels = servers[b].labels
                    let unreachable = a == 0 && b == 7
                    windows.append(
                        BatchFactory.summary(
                            to: servers[b].name, start: start, rtts: unreachable ? [] : rtts(a, b), timeouts: unreachable ? 6 : 0,
                            tor: labels["tor"], dc: labels["dc"]!, podset: labels["podset"]!))
                }
                let received = a == 7 ? (BatchFactory.now - 600) * 1000 : BatchFactory.now * 1000
                _ = try await store.ingest(
                    IngestBatch(BatchFactory.batch(agent: servers[a].name, labels: servers[a].labels, windows: windows), receivedAt: received))
            }
        }
        try await RollupEngine(store: store).runOnce()
        return store
    }

    /// The admin token the UI gets as `pingmesh up` gives it, in the address's `#token=`.
    static let adminToken = "ui-admin-token-0123456789"

    /// The collector's API on known data; the probe form's requests get a canned answer (the
    /// probing itself is tested with the agent). The probe form is an admin operation.
    static func app(store: any ResultStore) -> some ApplicationProtocol {
        let metrics = CollectorMetrics()
        return Application(
            router: CollectorAPI.router(
                ingest: Ingestor(store: store, metrics: metrics), queries: ResultQueries(store: store), metrics: metrics,
                tokens: AccessTokens([adminToken: .admin]), tools: OperatorTools(manualProbe: CannedManualProbe())),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// Where the run leaves its screenshots (the README shows copies from docs/screenshots).
    static let artifacts = root.appendingPathComponent(".build/artifacts/web-ui")

    @Test("every embedded UI file is served byte for byte at /ui/NAME, index.html at /, with its content type")
    func embeddedAssets() async throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.assets.path).filter { !$0.hasPrefix(".") }
        #expect(files.contains("index.html"))
        let store = try await TemporaryStore.sqlite()
        try await Self.app(store: store).test(.router) { client in
            for file in files {
                let bytes = try Data(contentsOf: Self.assets.appendingPathComponent(file))
                try await client.execute(uri: "/ui/\(file)", method: .get) { response in
                    #expect(response.status == .ok, "/ui/\(file) is not embedded: add it to WebUIRoutes.embedded")
                    #expect(Data(buffer: response.body) == bytes, "/ui/\(file) differs from the file")
                }
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(Data(buffer: response.body) == (try? Data(contentsOf: Self.assets.appendingPathComponent("index.html"))))
            }
            try await client.execute(uri: "/ui/..%2FPackage.swift", method: .get) { response in #expect(response.status == .notFound) }
            try await client.execute(uri: "/ui/missing.js", method: .get) { response in #expect(response.status == .notFound) }
        }
    }

    @Test(
        "the heatmap paints the stored matrix, drills down, replays with the slider, and every view renders without console errors",
        .requires(.chromium, .tool(.python3), .playwright))
    func heatmapInChromium() async throws {
        let python = try Tool.python3.path()
        let store = try await Self.store()
        try? FileManager.default.removeItem(at: Self.artifacts)
        try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
        try await Self.app(store: store).test(.live) { client in
            let base = "http://127.0.0.1:\(client.port!)"
            func drive(level: String, out: URL) async throws -> [String: Any] {
                try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
                let run = try await Command.run(
                    python, [
                        Self.root.appendingPathComponent("Tests/WebUI/ui_driver.py").path, "--base-url", base, "--out", out.path, "--level", level,
                        "--token", Self.adminToken,
                    ])
                try #require(run.status == 0, "ui_driver.py failed: \(run.stderr)")
                return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "not JSON: \(run.stdout)")
            }

            // The server level, cell by cell: every band of the paper's palette and the
            // unreachable pair, each painted in its own colour; the silent agent marked down.
            let servers = try await drive(level: "server", out: Self.artifacts.appendingPathComponent("server"))
            #expect((servers["console_errors"] as? [Any])?.isEmpty == true, "console errors: \(servers["console_errors"] ?? "")")
            let heatmap = try #require(servers["heatmap"] as? [String: Any])
            #expect(heatmap["level"] as? String == "server")
            let bands = try await Self.checkCells(heatmap, against: try await Self.matrix(client, level: "server"))
            #expect(bands.count == 4 && bands.values.allSatisfy { $0.count == 1 }, "colours by band: \(bands)")
            #expect(Set(bands.values.compactMap(\.first)).count == 4, "bands share a colour: \(bands)")
            let cells = heatmap["cells"] as? [[String: Any]] ?? []
            #expect(!cells.contains { $0["source"] as? String == "s2" && $0["destination"] as? String == "s7" }, "a pair without data is painted")
            let down = heatmap["down"] as? [String: Any]
            #expect((down?["sources"] as? [String]) == ["s8"], "the silent agent's row is not marked down: \(down ?? [:])")

            // The ToR level as an operator starts: the heatmap, drill-down, the replay slider and
            // every view, with the screenshots the README shows.
            let report = try await drive(level: "tor", out: Self.artifacts)
            #expect((report["console_errors"] as? [Any])?.isEmpty == true, "console errors: \(report["console_errors"] ?? "")")
            let tors = try #require(report["heatmap"] as? [String: Any])
            #expect(tors["level"] as? String == "tor")
            _ = try await Self.checkCells(tors, against: try await Self.matrix(client, level: "tor"))

            let drill = try #require(report["drilldown"] as? [String: Any], "no drill-down: \(report["notes"] ?? "")")
            #expect(drill["from_level"] as? String == "tor" && drill["to_level"] as? String == "server", "\(drill)")
            let clicked = drill["clicked"] as? [String: String] ?? [:]
            let under = { (tor: String?) in Set(Self.servers.filter { $0.labels["tor"] == tor }.map(\.name)) }
            #expect(Set(drill["sources"] as? [String] ?? []) == under(clicked["source"]), "rows after drilling into \(clicked)")
            #expect(Set(drill["destinations"] as? [String] ?? []) == under(clicked["destination"]), "columns after drilling into \(clicked)")

            let slider = try #require(report["slider"] as? [String: Any])
            let from = try #require(slider["requested_from"] as? Int)
            let to = try #require(slider["requested_to"] as? Int)
            #expect(to - from == 60, "the slider asked for \(from)..<\(to), not one minute")

            let views = report["views"] as? [String: Any] ?? [:]
            for view in ["incidents", "agents", "pair", "probe"] { #expect(views[view] as? Bool == true, "view \(view) did not render: \(views)") }
            // The probe form sent the token from the address: the canned probe answered.
            let probe = report["probe"] as? [String: Any] ?? [:]
            #expect((probe["results"] as? Int ?? 0) > 0, "the probe form got no result: \(probe)")
            #expect(report["token_out_of_address"] as? Bool == true)
            for shot in ["heatmap.png", "drilldown.png", "pair.png", "incidents.png", "agents.png"] {
                let size = (try? FileManager.default.attributesOfItem(atPath: Self.artifacts.appendingPathComponent(shot).path)[.size] as? Int) ?? 0
                #expect(size > 5_000, "screenshot \(shot) missing or blank (\(size) bytes)")
            }
        }
    }

    /// Checks every painted cell against the API's value and the legend's colour; returns the
    /// colours seen per band (green, yellow, red by the paper's 4 and 5 ms, unreachable).
    static func checkCells(_ heatmap: [String: Any], against matrix: [String: Double?]) async throws -> [String: Set<String>] {
        let cells = heatmap["cells"] as? [[String: Any]] ?? []
        #expect(cells.count == matrix.count, "\(cells.count) cells painted, \(matrix.count) in the matrix")
        var colours: [String: Set<String>] = [:]
        for cell in cells {
            let key = "\(cell["source"] as? String ?? "?")>\(cell["destination"] as? String ?? "?")"
            let painted = cell["painted"] as? String ?? ""
            #expect(painted == cell["expected"] as? String, "\(key): painted \(painted), legend says \(cell["expected"] ?? "")")
            guard let expected = matrix[key] else {
                Issue.record("\(key) is painted but has no data")
                continue
            }
            let value = cell["value"] as? Double
            #expect(value.map { abs($0 - (expected ?? -1)) < 1e-9 } ?? (expected == nil), "\(key): UI \(value ?? -1), API \(expected ?? -1)")
            let band = expected.map { $0 < 0.004 ? "green" : $0 <= 0.005 ? "yellow" : "red" } ?? "unreachable"
            colours[band, default: []].insert(painted)
        }
        return colours
    }

    /// The API's matrix for the last hour, "source>destination" to value.
    static func matrix(_ client: some TestClientProtocol, level: String) async throws -> [String: Double?] {
        let now = BatchFactory.now
        return try await client.execute(uri: "/v1/matrix?level=\(level)&statistic=p99&from=\(now - 3600)&to=\(now + 60)", method: .get) { response in
            let matrix = try JSONDecoder().decode(Matrix.self, from: Data(buffer: response.body))
            var cells: [String: Double?] = [:]
            for cell in matrix.cells { cells["\(matrix.sources[cell.source])>\(matrix.destinations[cell.destination])"] = cell.value }
            return cells
        }
    }
}
