import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PingmeshCollector
import PingmeshModel
import Testing

@Suite("Collector HTTP API")
struct CollectorAPITests {
    static func app(store: any ResultStore, tokens: AccessTokens = AccessTokens(), tools: OperatorTools = OperatorTools()) -> some ApplicationProtocol {
        let metrics = CollectorMetrics()
        return Application(
            router: CollectorAPI.router(
                ingest: Ingestor(store: store, metrics: metrics), queries: ResultQueries(store: store), metrics: metrics, tokens: tokens,
                tools: tools))
    }

    static func body(_ batch: ResultBatch) throws -> ByteBuffer {
        ByteBuffer(data: try JSONEncoder().encode(batch))
    }

    @Test("upload, gzip, duplicate: stored once, acknowledged twice")
    func upload() async throws {
        let store = try await TemporaryStore.sqlite()
        let batch = BatchFactory.batch(id: "api-batch-1", agent: "a1", windows: [BatchFactory.summary(to: "b1", start: BatchFactory.minute(1), rtts: [100, 120])])
        try await Self.app(store: store).test(.router) { client in
            var plain = try Self.body(batch)
            let gzipped = try plain.compress(with: .gzip())
            try await client.execute(uri: "/v1/results", method: .post, headers: [.contentEncoding: "gzip", .contentType: "application/json"], body: gzipped) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"stored\""))
            }
            try await client.execute(uri: "/v1/results", method: .post, body: try Self.body(batch)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"duplicate\""))
            }
        }
        let rows = try await store.aggregates(level: .server, resolution: .minute, from: 0, to: Int64.max / 2)
        #expect(rows.count == 1 && rows[0].counts.ok == 2)
    }

    @Test("bad bodies get a 400 that names the field; nothing stored is lost")
    func badBodies() async throws {
        let store = try await TemporaryStore.sqlite()
        let good = BatchFactory.batch(id: "kept-batch-1", agent: "a1", windows: [BatchFactory.summary(to: "b1", start: BatchFactory.minute(1), rtts: [100])])
        var badWindow = BatchFactory.batch(agent: "a1", windows: [BatchFactory.summary(to: "b1", start: BatchFactory.minute(1), rtts: [100])])
        badWindow.windows[0].seconds = 7
        let cases: [(ByteBuffer, HTTPFields, String)] = [
            (ByteBuffer(string: "{"), [:], "request body"),
            (ByteBuffer(string: "not json at all: ["), [:], "request body"),
            (ByteBuffer(string: #"{"version": 1}"#), [:], "id"),
            (try Self.body(badWindow), [:], "windows[0].seconds"),
            (ByteBuffer(string: "garbage"), [.contentEncoding: "gzip"], "gzip"),
            (ByteBuffer(string: "{}"), [.contentEncoding: "br"], "Content-Encoding"),
        ]
        try await Self.app(store: store).test(.router) { client in
            try await client.execute(uri: "/v1/results", method: .post, body: try Self.body(good)) { #expect($0.status == .ok) }
            for (body, headers, field) in cases {
                try await client.execute(uri: "/v1/results", method: .post, headers: headers, body: body) { response in
                    #expect((400..<500).contains(response.status.code), "\(field): \(response.status)")
                    #expect(String(buffer: response.body).contains(field), "\(String(buffer: response.body))")
                }
            }
            try await client.execute(uri: "/v1/matrix?level=nonsense", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("level"))
            }
            try await client.execute(uri: "/v1/matrix?from=10&to=5", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/v1/series?source=a1", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("destination"))
            }
        }
        #expect(try await store.aggregates(level: .server, resolution: .minute, from: 0, to: Int64.max / 2).count == 1)
    }

    @Test("uploads need an agent token when tokens are set")
    func tokens() async throws {
        let store = try await TemporaryStore.sqlite()
        let tokens = AccessTokens(["agent-token-0123456789": .agent])
        let batch = BatchFactory.batch(agent: "a1", windows: [BatchFactory.summary(to: "b1", start: BatchFactory.minute(1), rtts: [100])])
        try await Self.app(store: store, tokens: tokens).test(.router) { client in
            try await client.execute(uri: "/v1/results", method: .post, body: try Self.body(batch)) { #expect($0.status == .unauthorized) }
            try await client.execute(
                uri: "/v1/results", method: .post, headers: [.authorization: "Bearer agent-token-0123456789"], body: try Self.body(batch)
            ) { #expect($0.status == .ok) }
        }
    }

    @Test("matrix, series, failures and agents after a rollup; no data is absent, not zero")
    func queries() async throws {
        let store = try await TemporaryStore.sqlite()
        let minute = BatchFactory.minute(3)
        let failure = FailureRecord(at: minute * 1000 + 10, target: "tcp://c1:9301", name: "c1", kind: .tcp, result: .timeout)
        _ = try await store.ingest(
            IngestBatch(
                BatchFactory.batch(
                    agent: "a1", labels: ["tor": "t1"],
                    windows: [
                        BatchFactory.summary(to: "b1", start: minute, rtts: [100, 200, 300, 400], tor: "t2"),
                        BatchFactory.summary(to: "c1", start: minute, rtts: [], timeouts: 2, tor: "t3"),
                    ], failures: [failure]), receivedAt: BatchFactory.now * 1000))
        try await RollupEngine(store: store).runOnce()
        let window = "from=\(minute)&to=\(minute + 60)"
        try await Self.app(store: store).test(.router) { client in
            try await client.execute(uri: "/v1/matrix?level=tor&statistic=p50&\(window)", method: .get) { response in
                #expect(response.status == .ok)
                let matrix = try JSONDecoder().decode(Matrix.self, from: Data(buffer: response.body))
                #expect(matrix.sources == ["t1"])
                #expect(matrix.destinations == ["t2", "t3"])
                let cell = try #require(matrix.cell("t1", "t2"))
                #expect(cell.value.map { abs($0 - 0.000201) < 0.000002 } == true, "\(String(describing: cell.value))")
                #expect(matrix.cell("t1", "t3")?.value == nil, "all probes failed: no latency, but the cell exists")
                #expect(matrix.cell("t1", "t3")?.failed == 2)
                #expect(matrix.cell("t2", "t1") == nil)
            }
            try await client.execute(uri: "/v1/matrix?level=tor&statistic=loss&\(window)", method: .get) { response in
                let matrix = try JSONDecoder().decode(Matrix.self, from: Data(buffer: response.body))
                #expect(matrix.cell("t1", "t3")?.value == 1)
                #expect(matrix.cell("t1", "t2")?.value == 0)
            }
            // The columns layout holds the same cells as parallel arrays, null for no statistic.
            let cells = try await client.execute(uri: "/v1/matrix?level=server&statistic=p99&\(window)", method: .get) { response in
                try JSONDecoder().decode(Matrix.self, from: Data(buffer: response.body))
            }
            try await client.execute(uri: "/v1/matrix?level=server&statistic=p99&layout=columns&\(window)", method: .get) { response in
                struct Columns: Decodable {
                    var sources: [String]
                    var destinations: [String]
                    var value_unit: String
                    var columns: [String: [Double?]]
                }
                let columns = try JSONDecoder().decode(Columns.self, from: Data(buffer: response.body))
                #expect(columns.sources == cells.sources && columns.destinations == cells.destinations)
                let column = { (name: String) in columns.columns[name] ?? [] }
                #expect(column("source") == cells.cells.map { Double($0.source) })
                #expect(column("destination") == cells.cells.map { Double($0.destination) })
                // Latencies in whole microseconds, as the sketches hold them.
                #expect(columns.value_unit == "microseconds")
                #expect(column("value") == cells.cells.map { $0.value.map { ($0 * 1e6).rounded() } } && column("value").contains { $0 == nil })
                #expect(column("probes") == cells.cells.map { Double($0.probes) })
                #expect(column("failed") == cells.cells.map { Double($0.failed) })
            }
            try await client.execute(uri: "/v1/matrix?layout=rows&\(window)", method: .get) { response in
                #expect(response.status == .badRequest && String(buffer: response.body).contains("layout: 'rows' is not one of cells, columns"))
            }
            try await client.execute(uri: "/v1/series?level=server&source=a1&destination=b1&\(window)", method: .get) { response in
                let series = try JSONDecoder().decode(Series.self, from: Data(buffer: response.body))
                #expect(series.points.count == 1)
                #expect(series.points.first?.probes == 4)
            }
            try await client.execute(uri: "/v1/failures?source=a1&\(window)", method: .get) { response in
                #expect(String(buffer: response.body).contains("\"timeout\""))
            }
            try await client.execute(uri: "/v1/agents", method: .get) { response in
                #expect(String(buffer: response.body).contains("\"a1\""))
                #expect(String(buffer: response.body).contains("upload_lag_seconds"))
            }
        }
    }
}

@Suite("Collector OpenAPI")
struct CollectorOpenAPITests {
    @Test("openapi-collector.yaml documents exactly the routes the collector serves, and each answers")
    func specAgrees() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("openapi-collector.yaml"), encoding: .utf8)
        var documented = Set<String>()
        var path: String?
        // The spec's paths section is two-space indented paths with four-space indented methods.
        var inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()) }
            for method in ["get", "post", "put", "delete"] where line == "    \(method):" {
                documented.insert("\(method.uppercased()) \(path ?? "")")
            }
        }
        let served = Set(CollectorAPI.routes.map { "\($0.method.rawValue) \($0.path)" })
        #expect(documented == served, "only in the spec: \(documented.subtracting(served)); only in the server: \(served.subtracting(documented))")

        let store = try await TemporaryStore.sqlite()
        let faults = RecordingFaultControl()
        let fault = try faults.inject(SimulatedFaultRequest(kind: "tor-down", target: "t1"))
        let tools = OperatorTools(manualProbe: CannedManualProbe(), faults: faults)
        try await CollectorAPITests.app(store: store, tools: tools).test(.router) { client in
            for route in CollectorAPI.routes {
                let uri =
                    switch route.path {
                    case "/v1/series": "/v1/series?source=a&destination=b"
                    case "/ui/{file}": "/ui/index.html"
                    case "/v1/faults/{id}": "/v1/faults/\(fault.id)"
                    default: route.path
                    }
                let body: ByteBuffer? =
                    switch (route.method, route.path) {
                    case (.post, "/v1/probe"): ByteBuffer(string: #"{"kind":"tcp","target":"127.0.0.1:9"}"#)
                    case (.post, "/v1/faults"): ByteBuffer(string: #"{"kind":"tor-down","target":"t1"}"#)
                    case (.post, _): ByteBuffer(string: "{}")
                    default: nil
                    }
                try await client.execute(uri: uri, method: route.method, body: body) { response in
                    #expect(response.status != .notFound && response.status.code < 500, "\(route.method) \(uri): \(response.status)")
                }
            }
        }
    }
}
