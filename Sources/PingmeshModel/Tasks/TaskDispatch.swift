import Foundation

/// A task as an agent receives it: run `action` once, unless `expiresAt` has passed.
public struct TaskDispatch: Sendable, Hashable, Codable {
    public var id: String
    public var action: TaskAction
    /// Unix seconds.
    public var expiresAt: Int64

    public init(id: String, action: TaskAction, expiresAt: Int64) {
        self.id = id
        self.action = action
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case id, action
        case expiresAt = "expires_at"
    }
}

/// What an agent sends back for one task: a report, or why it could not run it.
public struct TaskOutcome: Sendable, Hashable, Codable {
    public var probe: ManualProbeReport?
    public var traceroute: TracerouteResult?
    public var error: String?

    public init(probe: ManualProbeReport? = nil, traceroute: TracerouteResult? = nil, error: String? = nil) {
        self.probe = probe
        self.traceroute = traceroute
        self.error = error
    }

    public var succeeded: Bool { error == nil }
}
