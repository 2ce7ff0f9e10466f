import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import PingmeshModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Installs an upgrade offer (`pingmesh agent --self-upgrade`): downloads the binary, checks its
/// SHA-256 while it streams to a temporary file next to the running binary, checks the release
/// key's signature of the version and digest (`UpgradeSignature`), makes it executable
/// and renames it over the binary (atomic on one file system: the path always holds a whole
/// binary, old or new), then asks the process to shut down gracefully and exit 0 so its
/// supervisor (systemd, Kubernetes) starts the new binary. Any failure leaves the old binary in
/// place and running, and is returned so the agent reports it.
public final class SelfUpgrader: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// The new binary is in place; the process is shutting down.
        case installed
        /// Nothing changed on disk.
        case failed(UpgradeFailureReport)
        /// Another offer is being installed (or was installed) already.
        case busy
    }

    /// The file replaced: the running binary in production, a scratch file in tests.
    public let installPath: String
    /// Largest binary accepted.
    public let maximumBytes: Int
    /// The release key (`--upgrade-public-key`): only binaries it signed are installed.
    private let publicKey: Curve25519.Signing.PublicKey
    private let client: HTTPClient
    private let downloadTimeout: TimeAmount
    private let exit: @Sendable () async -> Void
    private let logger: Logger
    /// Set while an offer is being installed, and for good once one is.
    private let taken = Mutex(false)

    public static let defaultMaximumBytes = 512 * 1024 * 1024

    /// `exit`: starts the graceful shutdown after the binary is replaced (injectable, so tests
    /// neither replace the test binary nor exit the test process).
    public init(
        installPath: String, publicKey: Curve25519.Signing.PublicKey, maximumBytes: Int = SelfUpgrader.defaultMaximumBytes,
        client: HTTPClient = .shared,
        downloadTimeout: TimeAmount = .minutes(10), logger: Logger = Logger(label: "pingmesh.agent"),
        exit: @escaping @Sendable () async -> Void
    ) {
        self.installPath = installPath
        self.publicKey = publicKey
        self.maximumBytes = maximumBytes
        self.client = client
        self.downloadTimeout = downloadTimeout
        self.logger = logger
        self.exit = exit
    }

    /// The running binary's real path (`/proc/self/exe` resolved), read at start: once the file
    /// is replaced the link names a deleted file.
    public static func runningBinaryPath() -> String? {
        let resolved = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        if resolved != "/proc/self/exe", FileManager.default.fileExists(atPath: resolved) { return resolved }
        guard let first = CommandLine.arguments.first, first.contains("/") else { return nil }
        return URL(fileURLWithPath: first).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// Installs `offer` and exits, or says why not.
    public func handle(_ offer: UpgradeOffer) async -> Outcome {
        let claimed = taken.withLock { taken -> Bool in
            defer { taken = true }
            return !taken
        }
        guard claimed else { return .busy }
        do {
            try await install(offer)
        } catch {
            taken.withLock { $0 = false }
            logger.error(
                "self-upgrade failed; the old binary keeps running",
                metadata: ["version": "\(offer.version)", "url": "\(offer.url)", "error": "\(error)"])
            return .failed(UpgradeFailureReport(version: offer.version, error: error.description))
        }
        logger.notice(
            "self-upgrade installed; shutting down so the supervisor starts the new binary",
            metadata: ["version": "\(offer.version)", "path": "\(installPath)"])
        await exit()
        return .installed
    }

    /// Downloads, verifies and atomically replaces `installPath`; leaves it untouched on failure.
    public func install(_ offer: UpgradeOffer) async throws(SelfUpgradeError) {
        let expected = offer.sha256.lowercased()
        // Before any download: an offer the release key did not sign is never fetched.
        guard let signature = offer.signature else { throw .signature("the offer carries no signature (pingmesh upgrade-key sign)") }
        guard UpgradeSignature.verify(signature: signature, version: offer.version, sha256: expected, key: publicKey) else {
            throw .signature("not signed by the key of --upgrade-public-key for version \(offer.version) and sha256 \(expected)")
        }
        let directory = URL(fileURLWithPath: installPath).deletingLastPathComponent().path
        // Same directory as the binary: rename() is atomic only within one file system.
        let temporary = "\(directory)/.pingmesh-upgrade-\(UUID().uuidString.lowercased())"
        var keepTemporary = false
        defer { if !keepTemporary { unlink(temporary) } }
        let actual = try await download(offer.url, to: temporary)
        guard actual == expected else { throw .checksum(expected: expected, actual: actual) }
        guard chmod(temporary, 0o755) == 0 else { throw .install("chmod \(temporary): \(Self.errnoText())") }
        guard rename(temporary, installPath) == 0 else { throw .install("rename onto \(installPath): \(Self.errnoText())") }
        keepTemporary = true
        // Make the rename itself durable before the process exits.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Streams `url` into `path`, hashing as it goes; returns the hex SHA-256.
    private func download(_ url: String, to path: String) async throws(SelfUpgradeError) -> String {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .install("create \(path): \(Self.errnoText())") }
        defer { close(fd) }
        var hasher = SHA256()
        var received = 0
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: downloadTimeout)
            guard response.status == .ok else { throw SelfUpgradeError.download("HTTP \(response.status.code) from \(url)") }
            if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > maximumBytes {
                throw SelfUpgradeError.tooLarge(limit: maximumBytes)
            }
            for try await chunk in response.body {
                received += chunk.readableBytes
                guard received <= maximumBytes else { throw SelfUpgradeError.tooLarge(limit: maximumBytes) }
                try chunk.withUnsafeReadableBytes { bytes in
                    hasher.update(bufferPointer: bytes)
                    try Self.writeAll(fd, bytes)
                }
            }
        } catch let error as SelfUpgradeError {
            throw error
        } catch {
            throw .download("\(error)")
        }
        guard fsync(fd) == 0 else { throw .install("fsync \(path): \(Self.errnoText())") }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SelfUpgradeError) {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw .install("write: \(errnoText())")
            }
            offset += written
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
