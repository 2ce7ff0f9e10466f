/// What an agent holding a wave slot finds in its task poll (`upgrade`, next to `tasks`):
/// fetch `url`, check it against `sha256` and the release key's `signature`, install it, restart.
public struct UpgradeOffer: Sendable, Hashable, Codable {
    public var version: String
    public var url: String
    public var sha256: String
    public var force: Bool
    public var signature: String?

    public init(version: String, url: String, sha256: String, force: Bool = false, signature: String? = nil) {
        self.version = version
        self.url = url
        self.sha256 = sha256
        self.force = force
        self.signature = signature
    }

    public init(_ announcement: UpgradeAnnouncement) {
        self.init(
            version: announcement.version, url: announcement.url, sha256: announcement.sha256, force: announcement.force,
            signature: announcement.signature)
    }
}

/// `POST /v1/agent-upgrade/{agent}`: an agent could not install `version` (download, checksum or
/// install failed) and keeps running its old binary.
public struct UpgradeFailureReport: Sendable, Hashable, Codable {
    public var version: String
    public var error: String

    public init(version: String, error: String) {
        self.version = version
        self.error = error
    }
}

/// The headers an agent identifies its build with on pinglist pulls and task polls. Both are
/// optional: a controller treats an agent that sends neither as one it cannot upgrade.
public enum AgentUpgradeHeaders {
    /// The version the agent runs.
    public static let version = "X-Pingmesh-Agent-Version"
    /// "on" when the agent installs offers (`pingmesh agent --self-upgrade`).
    public static let selfUpgrade = "X-Pingmesh-Agent-Self-Upgrade"
}
