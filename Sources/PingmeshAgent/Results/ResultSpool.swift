import CompressNIO
import Foundation
import Logging
import NIOCore
import PingmeshModel
import PingmeshWire
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Result batches waiting for a collector's acknowledgement, oldest first: one gzip file per
/// batch in a directory (written to a temporary name, fsynced, renamed, the directory fsynced),
/// so pending batches survive a restart of the agent. Memory holds only the list of files; a
/// batch's bytes are read back when it is sent. A byte cap bounds the disk: beyond it the oldest
/// batches go, counted. Without a directory the spool keeps the compressed batches in memory,
/// under the same cap (and loses them on restart).
///
/// The file is exactly the request body (`Content-Encoding: gzip`), so a retry costs no work.
/// Names are `CREATED_MS-SEQUENCE-ID.json.gz`, or `.pb.gz` for a protobuf body, which sort
/// oldest first. A `.lock` file held
/// with `flock` keeps two agents from sharing a directory.
public final class ResultSpool: Sendable {
    /// One waiting batch.
    public struct Entry: Sendable, Hashable {
        public let name: String
        public let id: String
        /// When the batch was made, Unix milliseconds.
        public let createdAt: Int64
        let sequence: Int
        public let bytes: Int
        /// The body's format, from the file name.
        public let format: UploadFormat
    }

    /// Why the spool could not be opened or a file written.
    public struct SpoolError: Error, CustomStringConvertible {
        public var description: String
    }

    private struct State {
        var entries: [Entry] = []
        /// Bodies of batches kept in memory: every batch without a directory, and a batch whose
        /// file could not be written (disk full), so it is not lost while it fits the cap.
        var memory: [String: [UInt8]] = [:]
        /// Names whose content was decoded once, so a retry does not decode it again.
        var verified: Set<String> = []
        var bytes = 0
        var sequence = 0
        var lock: Int32?
    }

    public let directory: String?
    public let maximumBytes: Int
    private let metrics: UploadMetrics?
    private let logger: Logger
    private let state = Mutex(State())

    /// Largest batch read back: far above any real batch (100,000 entries), it keeps a damaged
    /// file from inflating without bound.
    static let maximumDecompressedBytes = 512 * 1024 * 1024
    static func suffix(_ format: UploadFormat) -> String {
        switch format {
        case .json: ".json.gz"
        case .protobuf: ".pb.gz"
        }
    }
    static let temporaryPrefix = ".tmp-"

    public init(directory: String?, maximumBytes: Int = 64 * 1024 * 1024, metrics: UploadMetrics? = nil, logger: Logger) {
        self.directory = directory
        self.maximumBytes = maximumBytes
        self.metrics = metrics
        self.logger = logger
    }

    /// Creates the directory when needed, takes its lock, and loads the batches a previous run
    /// left: leftovers of interrupted writes are removed, files that are plainly not batches are
    /// counted as corrupt and removed, and the cap is applied.
    public func open() throws(SpoolError) {
        guard let directory else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SpoolError(description: "spool directory \(directory): cannot create it: \(error.localizedDescription)")
        }
        let lock = posixOpen("\(directory)/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else {
            throw SpoolError(description: "spool directory \(directory): cannot open its lock file: \(String(cString: strerror(errno)))")
        }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            posixClose(lock)
            throw SpoolError(
                description: code == EWOULDBLOCK
                    ? "spool directory \(directory) is in use by another agent (each agent needs its own --spool-dir)"
                    : "spool directory \(directory): cannot lock it: \(String(cString: strerror(code)))")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            posixClose(lock)
            throw SpoolError(description: "spool directory \(directory): cannot list it: \(error.localizedDescription)")
        }

        var entries: [Entry] = []
        var corrupt = 0
        for name in names {
            let path = "\(directory)/\(name)"
            if name.hasPrefix(Self.temporaryPrefix) {
                // A write interrupted before its rename: the batch was never acknowledged as spooled.
                unlink(path)
                continue
            }
            guard UploadFormat.allCases.contains(where: { name.hasSuffix(Self.suffix($0)) }) else { continue }  // not ours: leave it alone
            guard let entry = Self.entry(name: name, bytes: Self.fileSize(path)), Self.hasGzipHeader(path) else {
                logger.error("removing a corrupt spool file", metadata: ["file": "\(path)"])
                unlink(path)
                corrupt += 1
                continue
            }
            entries.append(entry)
        }
        entries.sort { ($0.createdAt, $0.sequence, $0.name) < ($1.createdAt, $1.sequence, $1.name) }
        for _ in 0..<corrupt { metrics?.corruptFileRemoved() }
        let dropped = state.withLock { state -> Int in
            state.lock = lock
            state.entries = entries
            state.bytes = entries.reduce(0) { $0 + $1.bytes }
            state.sequence = (entries.map(\.sequence).max() ?? -1) + 1
            return enforceCap(&state)
        }
        if dropped > 0 { logger.warning("spool over its byte cap: dropped the oldest batches", metadata: ["dropped": "\(dropped)"]) }
        if !entries.isEmpty {
            logger.info(
                "batches from a previous run are waiting for upload", metadata: ["batches": "\(count)", "directory": "\(directory)"])
        }
        publish()
    }

    /// Releases the directory's lock; the files stay for the next run.
    public func close() {
        state.withLock { state in
            if let lock = state.lock { posixClose(lock) }
            state.lock = nil
        }
    }

    /// Batches waiting.
    public var count: Int { state.withLock { $0.entries.count } }
    /// Bytes waiting (compressed).
    public var bytes: Int { state.withLock { $0.bytes } }
    /// The batches waiting, oldest first.
    public var entries: [Entry] { state.withLock { $0.entries } }
    /// The next batch to send.
    public var oldest: Entry? { state.withLock { $0.entries.first } }

    /// Queues a batch: encoded in `format`, compressed, written durably, then the cap applied
    /// (oldest dropped first). Returns false when the batch could not be encoded, which cannot
    /// happen with valid input.
    @discardableResult
    public func append(_ batch: ResultBatch, format: UploadFormat = .json) -> Bool {
        let body: [UInt8]
        do {
            body = try Self.encode(batch, as: format)
        } catch {
            logger.error("cannot encode a result batch; dropped", metadata: ["batch": "\(batch.id)", "error": "\(error)"])
            metrics?.batchesDropped(1)
            return false
        }
        let directory = self.directory
        let logger = self.logger
        let dropped = state.withLock { state -> Int in
            let sequence = state.sequence
            state.sequence = (state.sequence + 1) % 1_000_000
            let name = Self.name(createdAt: batch.createdAt, sequence: sequence, id: batch.id, format: format)
            if let directory {
                do {
                    try Self.writeDurably(body, directory: directory, name: name)
                } catch {
                    // Keep it in memory rather than lose it; it still counts against the cap.
                    logger.error(
                        "cannot write a batch to the spool; keeping it in memory until it is sent",
                        metadata: ["directory": "\(directory)", "error": "\(error)"])
                    state.memory[name] = body
                }
            } else {
                state.memory[name] = body
            }
            state.entries.append(
                Entry(name: name, id: batch.id, createdAt: batch.createdAt, sequence: sequence, bytes: body.count, format: format))
            state.verified.insert(name)
            state.bytes += body.count
            return enforceCap(&state)
        }
        metrics?.batchSpooled()
        if dropped > 0 {
            logger.warning(
                "spool over its byte cap: dropped the oldest batches", metadata: ["dropped": "\(dropped)", "cap": "\(maximumBytes)"])
        }
        publish()
        return true
    }

    /// The request body of `entry`, checked to be a whole batch with the id its name says; nil
    /// when it is not (then the file is removed and counted as corrupt) or when it is gone.
    public func body(of entry: Entry) -> [UInt8]? {
        let (stored, verified) = state.withLock { ($0.memory[entry.name], $0.verified.contains(entry.name)) }
        var bytes = stored
        if bytes == nil, let directory {
            bytes = FileManager.default.contents(atPath: "\(directory)/\(entry.name)").map { [UInt8]($0) }
        }
        guard let bytes else {
            logger.error("a spooled batch disappeared", metadata: ["batch": "\(entry.id)"])
            remove(entry)
            return nil
        }
        if verified { return bytes }
        do {
            let batch = try Self.decode(bytes, format: entry.format)
            guard batch.id == entry.id else { throw SpoolError(description: "holds batch \(batch.id)") }
        } catch {
            logger.error("removing a corrupt spool file", metadata: ["file": "\(entry.name)", "error": "\(error)"])
            metrics?.corruptFileRemoved()
            remove(entry)
            return nil
        }
        state.withLock { _ = $0.verified.insert(entry.name) }
        return bytes
    }

    /// Deletes a batch: acknowledged, refused for good, or dropped.
    public func remove(_ entry: Entry) {
        state.withLock { state in
            guard let index = state.entries.firstIndex(of: entry) else { return }
            delete(state.entries.remove(at: index), from: &state)
        }
        publish()
    }

    /// Drops batches made before `date`: the collector refuses windows older than it keeps.
    /// Returns how many.
    @discardableResult
    public func dropCreated(before date: Date) -> Int {
        let limit = Int64(date.timeIntervalSince1970 * 1000)
        let dropped = state.withLock { state -> Int in
            var dropped = 0
            while let first = state.entries.first, first.createdAt < limit {
                delete(state.entries.removeFirst(), from: &state)
                dropped += 1
            }
            return dropped
        }
        if dropped > 0 {
            metrics?.batchesDropped(dropped)
            logger.warning("dropped spooled batches older than the collector accepts", metadata: ["dropped": "\(dropped)"])
            publish()
        }
        return dropped
    }

    // MARK: Internals

    /// Drops the oldest batches until the spool fits its cap; returns how many.
    private func enforceCap(_ state: inout State) -> Int {
        var dropped = 0
        while state.bytes > maximumBytes, !state.entries.isEmpty {
            delete(state.entries.removeFirst(), from: &state)
            dropped += 1
        }
        if dropped > 0 { metrics?.batchesDropped(dropped) }
        return dropped
    }

    private func delete(_ entry: Entry, from state: inout State) {
        state.bytes -= entry.bytes
        state.verified.remove(entry.name)
        if state.memory.removeValue(forKey: entry.name) == nil, let directory {
            unlink("\(directory)/\(entry.name)")
        }
    }

    private func publish() {
        let (count, bytes) = state.withLock { ($0.entries.count, $0.bytes) }
        metrics?.spool(batches: count, bytes: bytes)
    }

    /// A request body: the batch in `format`, gzip-compressed.
    public static func encode(_ batch: ResultBatch, as format: UploadFormat = .json) throws -> [UInt8] {
        var plain: ByteBuffer
        switch format {
        case .json: plain = ByteBuffer(bytes: try JSONEncoder().encode(batch))
        case .protobuf: plain = ByteBuffer(bytes: try batch.protobufEncoded())
        }
        let compressed = try plain.compress(with: .gzip)
        return Array(compressed.readableBytesView)
    }

    static func decode(_ body: [UInt8], format: UploadFormat = .json) throws -> ResultBatch {
        var buffer = ByteBuffer(bytes: body)
        let plain = try buffer.decompress(with: .gzip, maxSize: maximumDecompressedBytes)
        switch format {
        case .json: return try JSONDecoder().decode(ResultBatch.self, from: Data(plain.readableBytesView))
        case .protobuf: return try ResultBatch(protobuf: plain.readableBytesView)
        }
    }

    /// A spooled body re-encoded in another format, for a collector that does not read the one
    /// it was spooled in.
    public static func transcode(_ body: [UInt8], from source: UploadFormat, to target: UploadFormat) throws -> [UInt8] {
        source == target ? body : try encode(try decode(body, format: source), as: target)
    }

    static func name(createdAt: Int64, sequence: Int, id: String, format: UploadFormat = .json) -> String {
        "\(padded(createdAt, 13))-\(padded(Int64(sequence), 6))-\(id)\(suffix(format))"
    }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(max(0, value))
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// The entry a file name stands for, or nil when the name is not one this spool writes.
    static func entry(name: String, bytes: Int?) -> Entry? {
        guard let bytes, bytes > 0, let format = UploadFormat.allCases.first(where: { name.hasSuffix(suffix($0)) }) else { return nil }
        let parts = name.dropLast(suffix(format).count).split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let createdAt = Int64(parts[0]), let sequence = Int(parts[1]), !parts[2].isEmpty else { return nil }
        return Entry(name: name, id: String(parts[2]), createdAt: createdAt, sequence: sequence, bytes: bytes, format: format)
    }

    private static func fileSize(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & mode_t(S_IFMT)) == mode_t(S_IFREG) else { return nil }
        return Int(info.st_size)
    }

    private static func hasGzipHeader(_ path: String) -> Bool {
        let fd = posixOpen(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { posixClose(fd) }
        var header: [UInt8] = [0, 0]
        return read(fd, &header, 2) == 2 && header == [0x1F, 0x8B]
    }

    /// Writes `body` to `directory/name` so that after a crash the file is either whole or absent.
    private static func writeDurably(_ body: [UInt8], directory: String, name: String) throws(SpoolError) {
        let temporary = "\(directory)/\(temporaryPrefix)\(name)"
        let final = "\(directory)/\(name)"
        let fd = posixOpen(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SpoolError(description: "open \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < body.count {
            let count = body.withUnsafeBytes { write(fd, $0.baseAddress! + written, body.count - written) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                let reason = String(cString: strerror(errno))
                posixClose(fd)
                unlink(temporary)
                throw SpoolError(description: "write \(temporary): \(reason)")
            }
            written += count
        }
        guard fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            posixClose(fd)
            unlink(temporary)
            throw SpoolError(description: "fsync \(temporary): \(reason)")
        }
        posixClose(fd)
        guard rename(temporary, final) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SpoolError(description: "rename \(temporary): \(reason)")
        }
        // The rename is durable only once the directory is.
        let directoryFD = posixOpen(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            posixClose(directoryFD)
        }
    }
}

// At file scope, so the names reach the C functions rather than the spool's own open and close.
private func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 { open(path, flags, mode) }
private func posixClose(_ fd: Int32) { _ = close(fd) }
