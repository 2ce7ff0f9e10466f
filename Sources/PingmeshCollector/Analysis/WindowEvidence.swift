/// One server pair's figures in one window, as analysis reads them: dense indices into a
/// `FabricModel` and small integers, because a window of 10,000 servers holds about two million
/// pairs.
public struct PairObservation: Sendable, Hashable {
    public var source: Int32
    public var destination: Int32
    /// Packets sent: probes, and the SYNs TCP probes sent again.
    public var sent: UInt32
    /// Packets lost: probes that got no answer (timeout, unreachable) and resent SYNs. A refused
    /// connect reached the host and is not a network loss.
    public var lost: UInt32
    /// The pair's 99th percentile RTT in microseconds; 0 when no probe was answered.
    public var p99Microseconds: UInt32
    /// Source-port buckets that carried at least two probes and lost every one: the mark of a
    /// black hole that only some 5-tuples fall into (Pingmesh 5.1).
    public var blackholedPorts: UInt16

    public init(source: Int32, destination: Int32, sent: UInt32, lost: UInt32, p99Microseconds: UInt32 = 0, blackholedPorts: UInt16 = 0) {
        self.source = source
        self.destination = destination
        self.sent = sent
        self.lost = lost
        self.p99Microseconds = p99Microseconds
        self.blackholedPorts = blackholedPorts
    }
}

/// Everything analysis needs for one window: the fabric, which agents uploaded, and every pair.
public struct WindowEvidence: Sendable {
    public var fabric: FabricModel
    /// Indexed like `fabric.servers`: whether the server's agent uploaded this window.
    public var reporting: [Bool]
    public var pairs: [PairObservation]

    public init(fabric: FabricModel, reporting: [Bool], pairs: [PairObservation]) {
        self.fabric = fabric
        self.reporting = reporting
        self.pairs = pairs
    }
}

/// What analysis concludes about one component in one window.
public struct Finding: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Its agent is silent and nobody reaches it: the server is down (not a network fault).
        case serverDown = "server-down"
        /// Its agent reports but nobody reaches it: its host stack, NIC or ToR port.
        case serverUnreachable = "server-unreachable"
        /// Its agent is silent but it answers probes: the agent, not the server or the network.
        case agentSilent = "agent-silent"
        /// Every server under the ToR is silent and unreachable.
        case torDown = "tor-down"
        /// Pairs through the component lose every probe.
        case blackHole = "black-hole"
        /// Pairs through the component lose every probe of some source ports only.
        case portBlackHole = "port-black-hole"
        /// Random drops above the loss SLA.
        case packetLoss = "packet-loss"
        /// P99 latency above the SLA.
        case latency
    }

    public var kind: Kind
    public var component: FabricComponent
    /// 0...1: how clearly this component, rather than its neighbours, explains the evidence.
    public var confidence: Double
    /// Pairs through the component that look bad, and all pairs through it.
    public var badPairs: Int
    public var pairs: Int
    /// Lost probes over sent probes through the component (loss kinds), or the share of its
    /// pairs above the latency SLA (latency).
    public var ratio: Double
    /// The worst pairs as "source -> destination", for the operator and for traceroutes.
    public var examples: [String]
    /// Why the component is named, in a sentence, including when only its tier could be named.
    public var explanation: String

    /// Whether the fault is the network's (false for a server or agent that is down).
    public var isNetwork: Bool { kind != .serverDown && kind != .agentSilent }
}
