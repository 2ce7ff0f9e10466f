import PingmeshModel

/// A traceroute the collector had an incident's source agent run over one of its worst pairs,
/// with the 5-tuple of a failing probe (so it follows the path the probe took), reduced to what
/// an operator reads first: whether it got through and the hop where loss starts.
public struct IncidentTraceroute: Sendable, Codable, Hashable {
    public var source: String
    public var destination: String
    public var `protocol`: String
    /// The failing probe's target id (`tcp://ADDRESS:PORT`).
    public var target: String
    public var sourcePort: Int?
    /// Whether this 5-tuple lost packets: the failing probe's own, or a comparison port's path
    /// that did not get through. Comparison paths that got through clear the hops they crossed.
    public var failing: Bool
    /// The controller's task, for the whole record (`pingmesh task show ID`).
    public var taskID: String?
    public var reachedDestination: Bool?
    /// The first TTL from which nothing answered (nil when the destination was reached).
    public var lossStartsAtHop: Int?
    /// The last hop that answered before the loss: the device to look at first.
    public var lastAnsweringHop: String?
    /// Responder of each hop in order; nil where none answered.
    public var hops: [String?]
    /// Why there is no trace (no failing probe on record, the agent refused, the task expired).
    public var error: String?

    public init(
        source: String, destination: String, protocol: String, target: String, sourcePort: Int? = nil, taskID: String? = nil,
        failing: Bool = true, reachedDestination: Bool? = nil, lossStartsAtHop: Int? = nil, lastAnsweringHop: String? = nil, hops: [String?] = [],
        error: String? = nil
    ) {
        self.source = source
        self.destination = destination
        self.protocol = `protocol`
        self.target = target
        self.sourcePort = sourcePort
        self.failing = failing
        self.taskID = taskID
        self.reachedDestination = reachedDestination
        self.lossStartsAtHop = lossStartsAtHop
        self.lastAnsweringHop = lastAnsweringHop
        self.hops = hops
        self.error = error
    }

    /// Fills the outcome of a traced path.
    mutating func record(_ path: TraceroutePath) {
        reachedDestination = path.reachedDestination
        lossStartsAtHop = path.lossStartsAtHop
        hops = path.hops.map(\.address)
        lastAnsweringHop = path.hops.last { $0.address != nil && !$0.isDestination }?.address
    }

    enum CodingKeys: String, CodingKey {
        case source, destination, `protocol`, target, hops, error, failing
        case sourcePort = "source_port"
        case taskID = "task_id"
        case reachedDestination = "reached_destination"
        case lossStartsAtHop = "loss_starts_at_hop"
        case lastAnsweringHop = "last_answering_hop"
    }
}
