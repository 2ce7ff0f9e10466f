import Foundation

/// The version every agent should run, and where to fetch it: the binary at `url`, whose
/// SHA-256 must be `sha256`, and the release key's Ed25519 signature of both (`signature`,
/// `pingmesh upgrade-key sign`). Agents verify the digest and the signature before installing
/// anything; an offer without a signature is refused by every self-upgrading agent.
public struct UpgradeAnnouncement: Sendable, Hashable, Codable {
    public var version: String
    /// http:// or https://.
    public var url: String
    /// 64 hex characters (either case; compared lowercased).
    public var sha256: String
    /// Offer the binary even to agents that already report `version` (once per agent), e.g. to
    /// replace a build that kept its version string.
    public var force: Bool
    /// Base64 Ed25519 signature of the version and digest (64 bytes).
    public var signature: String?

    public init(version: String, url: String, sha256: String, force: Bool = false, signature: String? = nil) {
        self.version = version
        self.url = url
        self.sha256 = sha256
        self.force = force
        self.signature = signature
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(String.self, forKey: .version)
        url = try container.decode(String.self, forKey: .url)
        sha256 = try container.decode(String.self, forKey: .sha256)
        force = try container.decodeIfPresent(Bool.self, forKey: .force) ?? false
        signature = try container.decodeIfPresent(String.self, forKey: .signature)
    }

    enum CodingKeys: String, CodingKey {
        case version, url, sha256, force, signature
    }

    /// Every issue, each naming its field.
    public func validationIssues() -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        let trimmed = version.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed != version || version.count > 64 {
            issues.append(ConfigIssue(path: "version", reason: "'\(version)' must be 1 to 64 characters without surrounding spaces"))
        }
        let parsed = URL(string: url)
        if parsed?.scheme.map({ ["http", "https"].contains($0.lowercased()) }) != true || (parsed?.host ?? "").isEmpty {
            issues.append(ConfigIssue(path: "url", reason: "'\(url)' is not an http:// or https:// URL"))
        }
        if sha256.count != 64 || !sha256.allSatisfy(\.isHexDigit) {
            issues.append(ConfigIssue(path: "sha256", reason: "'\(sha256)' is not 64 hex characters (a SHA-256 digest)"))
        }
        if let signature, Data(base64Encoded: signature)?.count != 64 {
            issues.append(ConfigIssue(path: "signature", reason: "is not the base64 of a 64-byte Ed25519 signature (pingmesh upgrade-key sign)"))
        }
        return issues
    }
}
