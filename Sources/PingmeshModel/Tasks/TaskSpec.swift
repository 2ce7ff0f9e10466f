import Foundation

/// `POST /v1/tasks`: which agents (a label selector over name, region, dc, podset, pod, tor and
/// any other label) do what, until when.
public struct TaskSpec: Sendable, Hashable, Codable {
    public var selector: String
    public var action: TaskAction
    /// Seconds the task may still start on an agent; default 300.
    public var expiresInSeconds: Int?

    public static let defaultExpiry = 300
    public static let maximumExpiry = 3600

    public init(selector: String, action: TaskAction, expiresInSeconds: Int? = nil) {
        self.selector = selector
        self.action = action
        self.expiresInSeconds = expiresInSeconds
    }

    enum CodingKeys: String, CodingKey {
        case selector, action
        case expiresInSeconds = "expires_in_seconds"
    }

    /// Every issue, each naming its field.
    public func validationIssues() -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        do {
            _ = try LabelSelector(parsing: selector)
        } catch {
            issues.append(ConfigIssue(path: "selector", reason: error.description))
        }
        if let expiry = expiresInSeconds, !(1...Self.maximumExpiry).contains(expiry) {
            issues.append(ConfigIssue(path: "expires_in_seconds", reason: "\(expiry) is outside 1...\(Self.maximumExpiry)"))
        }
        return issues + action.validationIssues()
    }
}
