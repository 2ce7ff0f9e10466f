import Foundation
import Logging
import NIOSSL
import Synchronization

/// A server's TLS context, reloaded from its files when they change: renewed certificates are
/// taken up by new connections without a restart (connections already open keep theirs). A
/// reload that fails (a half-written file, a key for another certificate) keeps the context in
/// use and logs why.
public final class ServerTLSContext: Sendable {
    public let files: ServerTLSFiles
    private let state: Mutex<(context: NIOSSLContext, stamp: [Date?])>

    /// Loads the files; a problem with them is a `TLSSetupError` for the operator.
    public init(files: ServerTLSFiles) throws(TLSSetupError) {
        self.files = files
        let context = try files.context()
        state = Mutex((context, Self.stamp(files)))
    }

    /// The context new connections use.
    public var current: NIOSSLContext { state.withLock { $0.context } }

    /// Loads the files again if any changed since the last load; returns whether the context was
    /// replaced. Throws (keeping the old context) when the new files are not usable.
    @discardableResult
    public func reloadIfChanged() throws(TLSSetupError) -> Bool {
        let stamp = Self.stamp(files)
        guard stamp != state.withLock({ $0.stamp }) else { return false }
        do {
            let context = try files.context()
            state.withLock { $0 = (context, stamp) }
            return true
        } catch {
            // Remember the stamp so a bad file is reported once, not on every check.
            state.withLock { $0.stamp = stamp }
            throw error
        }
    }

    /// Checks the files every `period` until cancelled.
    public func watch(every period: Duration = .seconds(10), logger: Logger) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: period)
            do {
                if try reloadIfChanged() { logger.notice("TLS certificate reloaded", metadata: ["certificate": "\(files.certificate)"]) }
            } catch {
                logger.error("TLS certificate not reloaded; the previous one stays in use", metadata: ["reason": "\(error)"])
            }
        }
    }

    /// Modification times (and sizes, through the dates' identity) of the files, to see changes.
    private static func stamp(_ files: ServerTLSFiles) -> [Date?] {
        [files.certificate, files.key, files.clientCA].map { path in
            path.flatMap { try? FileManager.default.attributesOfItem(atPath: $0)[.modificationDate] as? Date }
        }
    }
}
