/// An agent's effective pinglist: validated, defaults applied, targets flattened.
public struct Pinglist: Sendable, Hashable {
    /// Identifies the content; equal versions mean equal lists.
    public var version: String
    public var settings: ProbeSettings
    public var targets: [ProbeTarget]

    public init(version: String, settings: ProbeSettings = ProbeSettings(), targets: [ProbeTarget]) {
        self.version = version
        self.settings = settings
        self.targets = targets
    }

    /// The explicit empty list: an agent holding it probes nothing (Pingmesh's kill switch).
    public static let empty = Pinglist(version: "empty", targets: [])
}
