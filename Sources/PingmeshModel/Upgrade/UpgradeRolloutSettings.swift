/// How fast a rollout goes and when it gives up: waves of at most `maxConcurrent` agents, each
/// given `healthTimeoutSeconds` to come back reporting the new version; `maxFailures` failed
/// agents stop the rollout.
public struct UpgradeRolloutSettings: Sendable, Hashable, Codable {
    public var maxConcurrent: Int
    public var healthTimeoutSeconds: Int
    public var maxFailures: Int

    public static let maximumHealthTimeout = 86_400

    public init(maxConcurrent: Int = 5, healthTimeoutSeconds: Int = 300, maxFailures: Int = 1) {
        self.maxConcurrent = maxConcurrent
        self.healthTimeoutSeconds = healthTimeoutSeconds
        self.maxFailures = maxFailures
    }

    public init(from decoder: any Decoder) throws {
        let defaults = Self()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        maxConcurrent = try container.decodeIfPresent(Int.self, forKey: .maxConcurrent) ?? defaults.maxConcurrent
        healthTimeoutSeconds = try container.decodeIfPresent(Int.self, forKey: .healthTimeoutSeconds) ?? defaults.healthTimeoutSeconds
        maxFailures = try container.decodeIfPresent(Int.self, forKey: .maxFailures) ?? defaults.maxFailures
    }

    enum CodingKeys: String, CodingKey {
        case maxConcurrent = "max_concurrent"
        case healthTimeoutSeconds = "health_timeout_seconds"
        case maxFailures = "max_failures"
    }

    /// Every issue, each naming its field.
    public func validationIssues() -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        if maxConcurrent < 1 { issues.append(ConfigIssue(path: "rollout.max_concurrent", reason: "\(maxConcurrent) must be at least 1")) }
        if !(1...Self.maximumHealthTimeout).contains(healthTimeoutSeconds) {
            issues.append(
                ConfigIssue(
                    path: "rollout.health_timeout_seconds", reason: "\(healthTimeoutSeconds) is outside 1...\(Self.maximumHealthTimeout)"))
        }
        if maxFailures < 1 { issues.append(ConfigIssue(path: "rollout.max_failures", reason: "\(maxFailures) must be at least 1")) }
        return issues
    }
}
