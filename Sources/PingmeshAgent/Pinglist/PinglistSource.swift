import PingmeshModel

/// Where an agent's pinglist comes from: a static file, a fixed list, a controller.
public protocol PinglistSource: Sendable {
    /// Calls `deliver` with the first list and with every new valid one, until cancelled.
    func run(metrics: AgentMetrics, deliver: @escaping @Sendable (Pinglist) async -> Void) async throws
}

/// A list that never changes: simulated agents, tests.
public struct FixedPinglist: PinglistSource {
    public var pinglist: Pinglist

    public init(_ pinglist: Pinglist) {
        self.pinglist = pinglist
    }

    public func run(metrics: AgentMetrics, deliver: @escaping @Sendable (Pinglist) async -> Void) async throws {
        await deliver(pinglist)
    }
}
