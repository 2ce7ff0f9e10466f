import Foundation
import Hummingbird
import Logging
import NIOCore
import PingmeshModel
import PingmeshWire

/// Turns a request body into a stored batch: decode strictly, validate, store durably, and only
/// then acknowledge. A batch id seen before is acknowledged and ignored.
public struct Ingestor: Sendable {
    public let store: any ResultStore
    let metrics: CollectorMetrics
    let logger: Logger

    public init(store: any ResultStore, metrics: CollectorMetrics, logger: Logger = Logger(label: "pingmesh.collector.ingest")) {
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    /// The answer to an upload.
    public struct Outcome: Codable, Sendable, Hashable {
        /// `stored` or `duplicate`; both acknowledge the batch.
        public var status: String
        public var id: String
        public var windows: Int
        public var failures: Int
    }

    func ingest(body: ByteBuffer, format: UploadFormat = .json, started: ContinuousClock.Instant) async throws -> Outcome {
        let batch: ResultBatch
        do {
            batch = try Self.decode(body, format: format)
        } catch {
            metrics.batch("rejected")
            throw HTTPError(.badRequest, message: error.description)
        }
        let now = Date()
        let issues = batch.validationIssues(now: Int64(now.timeIntervalSince1970))
        guard issues.isEmpty else {
            metrics.batch("rejected")
            let shown = issues.prefix(20).map(\.description).joined(separator: "; ")
            throw HTTPError(.badRequest, message: "request body: \(shown)\(issues.count > 20 ? "; and \(issues.count - 20) more" : "")")
        }
        return try await ingest(batch, receivedAt: Int64(now.timeIntervalSince1970 * 1000), started: started)
    }

    /// The problem with a body that is not a batch, in one line that starts with `request body`.
    struct BodyError: Error, CustomStringConvertible {
        var description: String
    }

    static func decode(_ body: ByteBuffer, format: UploadFormat) throws(BodyError) -> ResultBatch {
        switch format {
        case .json:
            do {
                return try ConfigDocument.decode(ResultBatch.self, from: Data(buffer: body), file: "request body")
            } catch {
                throw BodyError(description: error.description.replacingOccurrences(of: "\n", with: "; "))
            }
        case .protobuf:
            do {
                return try ResultBatch(protobuf: body.readableBytesView)
            } catch {
                throw BodyError(description: "request body: \(error)")
            }
        }
    }

    /// Stores a validated batch.
    public func ingest(_ batch: ResultBatch, receivedAt: Int64, started: ContinuousClock.Instant = .now) async throws -> Outcome {
        let stored: Bool
        do {
            stored = try await store.ingest(IngestBatch(batch, receivedAt: receivedAt))
        } catch {
            logger.error("store failed; the batch is not acknowledged", metadata: ["batch": "\(batch.id)", "error": "\(error)"])
            throw HTTPError(.serviceUnavailable, message: "the store failed; retry later")
        }
        metrics.batch(
            stored ? "stored" : "duplicate", summaries: stored ? batch.windows.count : 0, failures: stored ? batch.failures.count : 0,
            duration: ContinuousClock.now - started)
        return Outcome(status: stored ? "stored" : "duplicate", id: batch.id, windows: batch.windows.count, failures: batch.failures.count)
    }
}
