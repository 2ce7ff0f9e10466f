import Foundation

/// `pingmesh controller --upgrade FILE` and the body of `PUT /v1/upgrade`: the announcement's
/// fields at the top level, the rollout settings under `rollout` (all optional):
///
///     version: 0.3.0
///     url: https://releases.example/pingmesh-0.3.0-linux-x86_64
///     sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
///     rollout: {max_concurrent: 5, health_timeout_seconds: 300, max_failures: 1}
public struct UpgradeSpec: Sendable, Hashable, Codable {
    public var announcement: UpgradeAnnouncement
    public var rollout: UpgradeRolloutSettings

    public init(announcement: UpgradeAnnouncement, rollout: UpgradeRolloutSettings = UpgradeRolloutSettings()) {
        self.announcement = announcement
        self.rollout = rollout
    }

    public init(from decoder: any Decoder) throws {
        announcement = try UpgradeAnnouncement(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        rollout = try container.decodeIfPresent(UpgradeRolloutSettings.self, forKey: .rollout) ?? UpgradeRolloutSettings()
    }

    public func encode(to encoder: any Encoder) throws {
        try announcement.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rollout, forKey: .rollout)
    }

    enum CodingKeys: String, CodingKey {
        case rollout
    }

    public func validationIssues() -> [ConfigIssue] {
        announcement.validationIssues() + rollout.validationIssues()
    }

    /// Reads and validates an upgrade file (YAML or JSON).
    public static func load(path: String) throws(ConfigError) -> UpgradeSpec {
        let data = try ConfigDocument.read(path: path)
        return try decode(data, file: path)
    }

    /// Decodes and validates, every issue naming its field.
    public static func decode(_ data: Data, file: String) throws(ConfigError) -> UpgradeSpec {
        let spec = try ConfigDocument.decode(UpgradeSpec.self, from: data, file: file)
        let issues = spec.validationIssues()
        guard issues.isEmpty else { throw ConfigError(file: file, issues: issues) }
        return spec
    }
}
