import Foundation

/// Watches one configuration file by content: a reload happens only when the bytes changed,
/// and an unreadable file is reported once, not on every poll. Shared by the agent's pinglist
/// and the controller's topology, which each add their own SIGHUP handling.
public actor FileChangeDetector {
    public enum Change: Sendable {
        /// Same bytes as last time.
        case unchanged
        /// New content to load.
        case changed(Data)
        /// The file cannot be read; `firstTime` is true on the first failure in a row.
        case unreadable(firstTime: Bool, reason: String)
    }

    public let path: String
    private var lastContent: Data?
    private var reportedUnreadable = false

    public init(path: String) {
        self.path = path
    }

    /// Reads the file; `force` treats unchanged content as new (SIGHUP reloads regardless).
    public func check(force: Bool = false) -> Change {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            defer { reportedUnreadable = true }
            return .unreadable(firstTime: !reportedUnreadable, reason: error.localizedDescription)
        }
        reportedUnreadable = false
        guard force || data != lastContent else { return .unchanged }
        lastContent = data
        return .changed(data)
    }
}
