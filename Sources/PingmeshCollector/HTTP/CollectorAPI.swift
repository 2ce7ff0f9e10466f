import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PingmeshHTTPSupport
import PingmeshModel
import PingmeshWire

/// The collector's HTTP API (default port 9320), as documented in openapi.yaml.
public enum CollectorAPI {
    /// Every route, for the router and for the test that holds openapi.yaml to it.
    public static let routes: [(method: HTTPRequest.Method, path: String)] = [
        (.post, "/v1/results"),
        (.get, "/v1/matrix"),
        (.get, "/v1/series"),
        (.get, "/v1/failures"),
        (.get, "/v1/agents"),
        (.get, "/v1/incidents"),
        (.get, "/v1/analysis"),
        (.get, "/v1/sla"),
        (.get, "/metrics"),
        (.get, "/healthz"),
        (.get, "/readyz"),
    ] + OperatorTools.routes

    /// Largest request body accepted on the wire, and once decompressed.
    static let maxBodyBytes = 32 * 1024 * 1024
    static let maxDecompressedBytes = 256 * 1024 * 1024

    public static func router(
        ingest: Ingestor, queries: ResultQueries, metrics: CollectorMetrics, tokens: AccessTokens, analyzer: WindowAnalyzer? = nil,
        tools: OperatorTools = OperatorTools()
    ) -> Router<BasicRequestContext> {
        let router = Router()
        let analyzer = analyzer ?? WindowAnalyzer(store: queries.store, logger: Logger(label: "pingmesh.collector.analysis"))
        metrics.adminAccess(openToAnyone: tokens.adminOpenToAnyone)
        router.add(middleware: BearerAuthMiddleware(tokens: tokens, requirements: [("/v1/results", .post, .agent)] + OperatorTools.authRequirements))
        tools.add(to: router)

        router.post("/v1/results") { request, _ -> Response in
            let started = ContinuousClock.now
            // Every answer lists the formats this collector reads, so agents switch to the
            // compact one only where it is understood.
            let offered = acceptPost
            let format = try uploadFormat(of: request, offered: offered)
            let body = try await body(of: request)
            let outcome: Ingestor.Outcome
            do {
                outcome = try await ingest.ingest(body: body, format: format, started: started)
            } catch var error as HTTPError {
                error.headers.append(contentsOf: offered)
                throw error
            }
            var response = try json(outcome)
            response.headers.append(contentsOf: offered)
            return response
        }

        router.get("/v1/matrix") { request, _ -> Response in
            let query = try QueryParameters(request.uri.queryParameters)
            let matrix = try await queries.matrix(
                level: try query.level(default: .tor), statistic: try query.statistic(), from: query.from, to: query.to,
                resolution: try query.resolution(), kind: try query.kind())
            switch request.uri.queryParameters.get("layout") ?? "cells" {
            case "cells": return try json(matrix)
            case "columns":
                return Response(
                    status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: try matrix.columnsJSON())))
            case let other: throw HTTPError(.badRequest, message: "layout: '\(other)' is not one of cells, columns")
            }
        }

        router.get("/v1/series") { request, _ -> Response in
            let query = try QueryParameters(request.uri.queryParameters)
            let series = try await queries.series(
                level: try query.level(default: .server), source: try query.required("source"), destination: try query.required("destination"),
                from: query.from, to: query.to, resolution: try query.resolution(), kind: try query.kind())
            return try json(series)
        }

        router.get("/v1/failures") { request, _ -> Response in
            let query = try QueryParameters(request.uri.queryParameters)
            let limit = try query.integer("limit", default: 1000, range: 1...100_000)
            let failures = try await queries.store.failures(
                FailureQuery(source: query.text("source"), destination: query.text("destination"), from: query.from * 1000, to: query.to * 1000, limit: limit))
            return try json(FailureList(failures: failures))
        }

        router.get("/v1/agents") { _, _ -> Response in
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let agents = try await queries.store.agents().map { AgentStatus(record: $0, now: now) }
            return try json(AgentList(agents: agents))
        }

        router.get("/v1/incidents") { request, _ -> Response in
            let query = request.uri.queryParameters
            let state = query.get("state") ?? "all"
            guard ["open", "resolved", "all"].contains(state) else {
                throw HTTPError(.badRequest, message: "state: '\(state)' is not one of open, resolved, all")
            }
            let limit = try QueryParameters(query).integer("limit", default: 200, range: 1...10_000)
            let open = state == "resolved" ? [] : analyzer.tracker.open
            let resolved = state == "open" ? [] : analyzer.tracker.resolved
            return try snakeCaseJSON(IncidentList(analyzedThrough: analyzer.tracker.lastWindow, incidents: Array((open + resolved).prefix(limit))))
        }

        router.get("/v1/analysis") { request, _ -> Response in
            let query = try QueryParameters(request.uri.queryParameters)
            let window = try query.time("at").map { Resolution.minute.windowStart($0) }
                ?? WindowAnalyzer.settledWindow(now: Int64(Date().timeIntervalSince1970))
            return try snakeCaseJSON(WindowFindings(window: window, findings: try await analyzer.findings(window: window)))
        }

        router.get("/v1/sla") { request, _ -> Response in
            let query = try QueryParameters(request.uri.queryParameters)
            let level = try query.level(default: .tor)
            let resolution = try query.resolution() ?? ResultQueries.resolution(for: query.from, to: query.to)
            let thresholds = SLAReport.Thresholds(
                p99Seconds: try query.number("p99_ms", default: 5, range: 0.001...60_000) / 1000, loss: try query.number("loss", default: 0.001, range: 0...1))
            if let text = query.text("selector") {
                // A user-defined service: the servers the selector picks, judged on the probes sent to them.
                let selector: LabelSelector
                do {
                    selector = try LabelSelector(parsing: text)
                } catch {
                    throw HTTPError(.badRequest, message: "selector: \(error)")
                }
                let serverResolution = ServiceSLA.serverResolution(resolution)
                let rows = try await ServiceSLA.rows(
                    store: queries.store, selector: selector, name: query.text("service") ?? text, resolution: serverResolution,
                    from: serverResolution.windowStart(query.from), to: query.to)
                return try snakeCaseJSON(
                    SLAReport(level: .server, resolution: serverResolution, from: query.from, to: query.to, thresholds: thresholds, rows: rows))
            }
            let rows = try await queries.store.aggregates(level: level, resolution: resolution, from: resolution.windowStart(query.from), to: query.to)
            return try snakeCaseJSON(SLAReport(level: level, resolution: resolution, from: query.from, to: query.to, thresholds: thresholds, rows: rows))
        }

        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ -> Response in
            _ = try await queries.store.sizeBytes()
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ready\n")))
        }
        return router
    }

    /// `Accept-Post` with every upload format this collector reads, made once for all answers.
    static let acceptPost = HTTPFields([HTTPField(name: HTTPField.Name("Accept-Post")!, value: UploadFormat.acceptPost)])

    /// The upload format `Content-Type` names; JSON when it names none.
    static func uploadFormat(of request: Request, offered: HTTPFields) throws -> UploadFormat {
        guard let type = request.headers[.contentType] else { return .json }
        guard let format = UploadFormat(contentType: type) else {
            throw HTTPError(
                .unsupportedMediaType, headers: offered,
                message: "Content-Type: '\(type)' is not an upload format this collector reads (\(UploadFormat.acceptPost))")
        }
        return format
    }

    /// The request body, gunzipped when the agent compressed it.
    static func body(of request: Request) async throws -> ByteBuffer {
        var buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBodyBytes)
        } catch {
            throw HTTPError(.contentTooLarge, message: "request body is above \(maxBodyBytes) bytes")
        }
        guard let encoding = request.headers[.contentEncoding]?.lowercased(), encoding != "identity" else { return buffer }
        guard encoding == "gzip" else {
            throw HTTPError(.unsupportedMediaType, message: "Content-Encoding: '\(encoding)' is not supported (gzip or none)")
        }
        do {
            return try buffer.decompress(with: .gzip(), maxSize: maxDecompressedBytes)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw HTTPError(.contentTooLarge, message: "request body inflates beyond \(maxDecompressedBytes) bytes")
        } catch {
            throw HTTPError(.badRequest, message: "body: not valid gzip (\(error))")
        }
    }

    static func json<Value: Encodable>(_ value: Value) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(data: try encoder.encode(value))))
    }

    /// Incidents and findings in the same form webhooks receive them.
    static func snakeCaseJSON<Value: Encodable>(_ value: Value) throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(data: try IncidentNotifier.encoder.encode(value))))
    }
}

struct IncidentList: Encodable {
    /// The latest window analysed, nil before the first.
    var analyzedThrough: Int64?
    var incidents: [Incident]
}

struct WindowFindings: Encodable {
    var window: Int64
    var findings: [Finding]
}

struct FailureList: Encodable {
    var failures: [StoredFailure]
}

struct AgentList: Encodable {
    var agents: [AgentStatus]
}

/// An agent as the API lists it: its record and how far behind its uploads are.
struct AgentStatus: Encodable {
    var record: AgentRecord
    var uploadLagSeconds: Double
    var secondsSinceUpload: Double

    init(record: AgentRecord, now: Int64) {
        self.record = record
        uploadLagSeconds = Double(max(0, record.lastUpload - record.lastBatchCreated)) / 1000
        secondsSinceUpload = Double(max(0, now - record.lastUpload)) / 1000
    }

    enum CodingKeys: String, CodingKey {
        case name, version, labels
        case pinglistVersion = "pinglist_version"
        case lastUpload = "last_upload"
        case uploadLagSeconds = "upload_lag_seconds"
        case secondsSinceUpload = "seconds_since_upload"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.name, forKey: .name)
        try container.encodeIfPresent(record.version, forKey: .version)
        try container.encodeIfPresent(record.pinglistVersion, forKey: .pinglistVersion)
        try container.encode(record.labels, forKey: .labels)
        try container.encode(record.lastUpload, forKey: .lastUpload)
        try container.encode(uploadLagSeconds, forKey: .uploadLagSeconds)
        try container.encode(secondsSinceUpload, forKey: .secondsSinceUpload)
    }
}
