import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PingmeshModel
import PingmeshWire
import ServiceLifecycle
import Synchronization

/// Sends the agent's results to the collector: at every window boundary (plus a grace for the
/// window's last answers) it flushes the aggregator's closed windows into the spool, and it
/// POSTs spooled batches oldest first to `{collector}/v1/results`, gzip-compressed.
///
/// A 2xx acknowledges the batch (stored, or a duplicate of an earlier attempt) and deletes it. A
/// 4xx other than 408 and 429 refuses the batch for good: it is dropped, counted and the
/// collector's reason logged; 401 and 403 are the exception, retried like a 5xx, because a bad
/// token is this agent's configuration, not the batch's fault, and the batches should survive
/// its fix. Everything else (5xx, 408, 429, no connection, timeout) tries the next collector,
/// then waits with exponential backoff and jitter. A batch keeps its id across retries, so the
/// collector's deduplication makes a retry safe.
///
/// Batches go as JSON until a collector lists the protobuf body in its answers' `Accept-Post`;
/// from then on they are spooled and sent in it. A batch spooled in protobuf for a collector that
/// does not list it (another collector, or one downgraded since) is re-encoded as JSON.
public final class ResultUploader: Service {
    /// Where and how to upload.
    public struct Configuration: Sendable {
        /// Collector base URLs (`http://host:9320`), tried in order, the last one that answered first.
        public var collectors: [String]
        /// Bearer token for the collector.
        public var token: String?
        public var requestTimeout: Duration
        public var initialBackoff: Duration
        public var maximumBackoff: Duration
        /// Added to the longest probe timeout: how long after a window's end it is flushed.
        public var flushMargin: Duration
        /// How long a graceful shutdown may spend sending what is spooled; 0 leaves it all for
        /// the next start.
        public var shutdownSendTimeout: Duration
        /// The body format used with collectors that offer it; `.json` keeps every upload JSON.
        public var preferredFormat: UploadFormat

        public init(
            collectors: [String], token: String? = nil, requestTimeout: Duration = .seconds(10), initialBackoff: Duration = .seconds(1),
            maximumBackoff: Duration = .seconds(60), flushMargin: Duration = .seconds(1), shutdownSendTimeout: Duration = .seconds(5),
            preferredFormat: UploadFormat = .protobuf
        ) {
            self.preferredFormat = preferredFormat
            self.collectors = collectors.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
            self.token = token
            self.requestTimeout = requestTimeout
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.flushMargin = flushMargin
            self.shutdownSendTimeout = shutdownSendTimeout
        }
    }

    /// One request to a collector and how it ended, for whoever watches uploads (tests, logs).
    public struct Attempt: Sendable {
        public var batch: String
        public var collector: String
        public var outcome: UploadMetrics.Outcome
        /// The HTTP status, when there was an answer.
        public var status: Int?
    }

    /// How sending one batch ended.
    enum SendResult: Sendable, Equatable {
        /// Acknowledged, refused for good, or unreadable: it has left the spool.
        case done
        /// No collector took it; try again after `retryAfter` if a collector asked for that.
        case failed(retryAfter: Duration?)
        /// The task was cancelled mid-request; the batch stays.
        case cancelled
    }

    public let configuration: Configuration
    public let aggregator: WindowAggregator
    public let spool: ResultSpool
    private let metrics: UploadMetrics?
    private let client: HTTPClient
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let onAttempt: @Sendable (Attempt) -> Void
    let wake = WakeSignal()
    /// The collector that answered last: tried first next time.
    private let preferred = Mutex(0)
    /// The formats each collector (by index) listed in its last answer; JSON for one not heard
    /// from, or one that lists none.
    private let offers = Mutex<[Int: Set<UploadFormat>]>([:])

    /// The process's client for uploads. AsyncHTTPClient retries a refused connection until the
    /// connect timeout, so that timeout is how long a dead collector holds up the failover to the
    /// next: 2 s, against the shared client's 10 s. Like `HTTPClient.shared`, it lives as long as
    /// the process.
    public static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(2)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// The largest collector answer read: a reason for a refusal, or the acknowledgement.
    static let maximumResponseBytes = 64 * 1024

    public init(
        configuration: Configuration, aggregator: WindowAggregator, spool: ResultSpool, metrics: UploadMetrics?,
        client: HTTPClient = ResultUploader.sharedClient, logger: Logger = Logger(label: "pingmesh.agent.upload"),
        now: @escaping @Sendable () -> Date = { Date() }, onAttempt: @escaping @Sendable (Attempt) -> Void = { _ in }
    ) {
        precondition(!configuration.collectors.isEmpty, "an uploader needs a collector")
        self.configuration = configuration
        self.aggregator = aggregator
        self.spool = spool
        self.metrics = metrics
        self.client = client
        self.logger = logger
        self.now = now
        self.onAttempt = onAttempt
    }

    /// Opens the spool, uploads until graceful shutdown, then `finish()`.
    public func run() async throws {
        try start()
        await cancelWhenGracefulShutdown { await self.deliver() }
        await finish()
    }

    /// Opens the spool (its lock, and the batches a previous run left).
    public func start() throws {
        try spool.open()
    }

    /// Queues a batch for upload and wakes the sender.
    public func enqueue(_ batch: ResultBatch) {
        spool.append(batch, format: spoolFormat)
        wake.signal()
    }

    /// Flushes windows and sends batches until the task is cancelled. It returns with no request
    /// in flight, so `finish()` may follow.
    public func deliver() async {
        let clock = ContinuousClock()
        var backoff = UploadBackoff(initial: configuration.initialBackoff, maximum: configuration.maximumBackoff)
        var retryAt: ContinuousClock.Instant?
        // Windows already due (the loop restarted, or the clock moved) are flushed at once.
        var nextFlush = Date.distantPast
        while !Task.isCancelled {
            let wallNow = now()
            if wallNow >= nextFlush {
                flushClosedWindows(at: wallNow)
                nextFlush = nextFlushTime(after: wallNow)
            }
            spool.dropCreated(before: wallNow.addingTimeInterval(-Double(ResultBatch.maximumAge)))
            if retryAt.map({ clock.now >= $0 }) ?? true, let entry = spool.oldest {
                switch await send(entry) {
                case .done:
                    backoff.reset()
                    retryAt = nil
                    continue
                case .failed(let retryAfter):
                    let delay = min(max(backoff.next(), retryAfter ?? .zero), configuration.maximumBackoff)
                    retryAt = clock.now.advanced(by: delay)
                    logger.debug("upload failed; retrying", metadata: ["batch": "\(entry.id)", "in": "\(delay)"])
                case .cancelled:
                    return
                }
            }
            var timeout = Duration.seconds(max(0, nextFlush.timeIntervalSince(now())))
            if let retryAt, spool.count > 0 { timeout = min(timeout, clock.now.duration(to: retryAt)) }
            // Wake at least once a window, in case the wall clock stepped.
            timeout = min(timeout, .seconds(aggregator.configuration.windowSeconds))
            await wake.wait(timeout: max(timeout, .milliseconds(1)))
        }
    }

    /// For shutdown: every window, open ones too, goes to the spool, then what is spooled is sent
    /// for at most `shutdownSendTimeout` (not when the task was cancelled). What is left stays
    /// on disk for the next start.
    public func finish() async {
        let format = spoolFormat
        for batch in aggregator.flushAll(now: now()) { spool.append(batch, format: format) }
        if configuration.shutdownSendTimeout > .zero, !Task.isCancelled, spool.count > 0 {
            let timeout = configuration.shutdownSendTimeout
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.sendWhileAcknowledged() }
                group.addTask { try? await Task.sleep(for: timeout) }
                await group.next()
                group.cancelAll()
            }
        }
        let left = spool.count
        if left > 0 {
            logger.info(
                "result batches stay spooled for the next start",
                metadata: ["batches": "\(left)", "directory": "\(spool.directory ?? "-")"])
        }
        spool.close()
    }

    /// Sends oldest first until one fails.
    private func sendWhileAcknowledged() async {
        while let entry = spool.oldest, !Task.isCancelled {
            guard await send(entry) == .done else { return }
        }
    }

    // MARK: Windows

    /// How long after a window's end it is closed: its last probes may still be waiting for an
    /// answer until the longest timeout has passed.
    var flushGrace: Duration {
        min(aggregator.longestTimeout + configuration.flushMargin, .seconds(aggregator.configuration.windowSeconds))
    }

    /// The first window end plus grace after `date`.
    func nextFlushTime(after date: Date) -> Date {
        let length = Double(aggregator.configuration.windowSeconds)
        let grace = flushGrace.seconds
        let boundary = ((date.timeIntervalSince1970 - grace) / length).rounded(.down) * length + length
        return Date(timeIntervalSince1970: boundary + grace)
    }

    private func flushClosedWindows(at date: Date) {
        let batches = aggregator.flush(now: date.addingTimeInterval(-flushGrace.seconds))
        let format = spoolFormat
        for batch in batches {
            spool.append(batch, format: format)
            logger.debug(
                "result batch spooled",
                metadata: ["batch": "\(batch.id)", "windows": "\(batch.windows.count)", "failures": "\(batch.failures.count)"])
        }
    }

    // MARK: Sending

    /// The format new batches are spooled in: the preferred one when the collector tried first
    /// offers it.
    var spoolFormat: UploadFormat {
        let first = preferred.withLock { $0 } % configuration.collectors.count
        return accepts(collector: first, configuration.preferredFormat) ? configuration.preferredFormat : .json
    }

    private func accepts(collector index: Int, _ format: UploadFormat) -> Bool {
        format == .json || offers.withLock { $0[index]?.contains(format) ?? false }
    }

    /// `entry`'s body in a format collector `index` reads, re-encoded when it does not read the
    /// spooled one; nil when the spooled body cannot be read back (then it is dropped).
    private func body(_ body: [UInt8], of entry: ResultSpool.Entry, for index: Int) -> (bytes: [UInt8], format: UploadFormat)? {
        if accepts(collector: index, entry.format) { return (body, entry.format) }
        do {
            return (try ResultSpool.transcode(body, from: entry.format, to: .json), .json)
        } catch {
            logger.error("cannot re-encode a spooled batch as JSON; dropped", metadata: ["batch": "\(entry.id)", "error": "\(error)"])
            return nil
        }
    }

    /// Remembers what a collector's answer says it reads.
    private func noteOffer(of index: Int, _ headers: HTTPHeaders) {
        let offered = UploadFormat.offered(in: headers[canonicalForm: "Accept-Post"].joined(separator: ",")).union([.json])
        let before = offers.withLock { offers in
            defer { offers[index] = offered }
            return offers[index]
        }
        if before != offered, offered.contains(configuration.preferredFormat), configuration.preferredFormat != .json {
            logger.info(
                "the collector reads \(configuration.preferredFormat.rawValue) uploads; sending them in it",
                metadata: ["collector": "\(configuration.collectors[index])"])
        }
    }

    /// Tries each collector once, the one that answered last first.
    func send(_ entry: ResultSpool.Entry) async -> SendResult {
        guard let spooled = spool.body(of: entry) else { return .done }
        let collectors = configuration.collectors
        let first = preferred.withLock { $0 } % collectors.count
        var retryAfter: Duration?
        for offset in collectors.indices {
            let index = (first + offset) % collectors.count
            let collector = collectors[index]
            guard let (body, format) = self.body(spooled, of: entry, for: index) else {
                spool.remove(entry)
                metrics?.uploaded(.rejected)
                return .done
            }
            var request = HTTPClientRequest(url: "\(collector)/v1/results")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: format.contentType)
            request.headers.add(name: "Content-Encoding", value: "gzip")
            if let token = configuration.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            request.body = .bytes(ByteBuffer(bytes: body))
            let status: HTTPResponseStatus
            let answer: String
            do {
                let response = try await client.execute(request, timeout: .nanoseconds(configuration.requestTimeout.nanoseconds))
                status = response.status
                noteOffer(of: index, response.headers)
                answer = try await Self.read(response.body)
                if let seconds = response.headers.first(name: "Retry-After").flatMap(Int.init), seconds > 0 {
                    retryAfter = max(retryAfter ?? .zero, .seconds(seconds))
                }
            } catch {
                if Task.isCancelled { return .cancelled }
                metrics?.uploaded(.failed)
                onAttempt(Attempt(batch: entry.id, collector: collector, outcome: .failed, status: nil))
                logger.warning(
                    "result upload failed", metadata: ["collector": "\(collector)", "batch": "\(entry.id)", "error": "\(error)"])
                continue
            }
            if (400..<500).contains(status.code), !accepts(collector: index, format) {
                // Sent in a format the collector no longer lists: not the batch's fault. The
                // next attempt re-encodes it.
                metrics?.uploaded(.failed)
                onAttempt(Attempt(batch: entry.id, collector: collector, outcome: .failed, status: Int(status.code)))
                logger.notice(
                    "the collector no longer reads \(format.rawValue) uploads; the batch goes as JSON next",
                    metadata: ["collector": "\(collector)", "batch": "\(entry.id)", "status": "\(status.code)"])
                continue
            }
            switch status.code {
            case 200..<300:
                let outcome: UploadMetrics.Outcome = Self.status(of: answer) == "duplicate" ? .duplicate : .stored
                metrics?.uploaded(outcome, at: now())
                spool.remove(entry)
                preferred.withLock { $0 = index }
                onAttempt(Attempt(batch: entry.id, collector: collector, outcome: outcome, status: Int(status.code)))
                logger.debug(
                    "result batch acknowledged", metadata: ["collector": "\(collector)", "batch": "\(entry.id)", "status": "\(outcome)"])
                return .done
            case 400..<500 where ![401, 403, 408, 429].contains(status.code):
                metrics?.uploaded(.rejected)
                spool.remove(entry)
                preferred.withLock { $0 = index }
                onAttempt(Attempt(batch: entry.id, collector: collector, outcome: .rejected, status: Int(status.code)))
                logger.error(
                    "the collector refused a result batch; dropped",
                    metadata: [
                        "collector": "\(collector)", "batch": "\(entry.id)", "status": "\(status.code)",
                        "reason": "\(WindowAggregator.truncated(answer, maximumBytes: 1024))",
                    ])
                return .done
            default:
                metrics?.uploaded(.failed)
                onAttempt(Attempt(batch: entry.id, collector: collector, outcome: .failed, status: Int(status.code)))
                logger.warning(
                    "result upload not acknowledged",
                    metadata: [
                        "collector": "\(collector)", "batch": "\(entry.id)", "status": "\(status.code)",
                        "reason": "\(WindowAggregator.truncated(answer, maximumBytes: 1024))",
                    ])
            }
        }
        return .failed(retryAfter: retryAfter)
    }

    /// The start of a response body as text; the rest is not needed.
    private static func read(_ body: HTTPClientResponse.Body) async throws -> String {
        var collected = ByteBuffer()
        for try await var chunk in body {
            let room = maximumResponseBytes - collected.readableBytes
            if let slice = chunk.readSlice(length: min(room, chunk.readableBytes)) {
                collected.writeImmutableBuffer(slice)
            }
            if collected.readableBytes >= maximumResponseBytes { break }
        }
        return String(buffer: collected)
    }

    /// The `status` field of the collector's acknowledgement (`stored` or `duplicate`).
    static func status(of answer: String) -> String? {
        struct Acknowledgement: Decodable { var status: String }
        return try? JSONDecoder().decode(Acknowledgement.self, from: Data(answer.utf8)).status
    }
}
