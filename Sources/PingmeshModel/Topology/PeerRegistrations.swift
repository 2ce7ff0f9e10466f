/// `POST /v1/peer-registrations`: the self-registered agents one controller replica knows, pushed
/// to its peers (`--peer`) so that replicas behind one address plan the same mesh. Each entry says
/// how long ago the sending replica last heard from the agent, in seconds: relative, so the
/// replicas' clocks need not agree.
public struct PeerRegistrations: Sendable, Hashable, Codable {
    public struct Entry: Sendable, Hashable, Codable {
        public var registration: AgentRegistration
        public var seenSecondsAgo: Double

        /// A day: no registration lives that long unheard, and any larger value is refused
        /// before it becomes a duration.
        public static let maximumSecondsAgo: Double = 86_400

        public init(registration: AgentRegistration, seenSecondsAgo: Double) {
            self.registration = registration
            self.seenSecondsAgo = seenSecondsAgo
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case registration
            case seenSecondsAgo = "seen_seconds_ago"
        }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            registration = try container.decode(AgentRegistration.self, forKey: .registration)
            seenSecondsAgo = try container.decode(Double.self, forKey: .seenSecondsAgo)
            guard seenSecondsAgo.isFinite, (0...Self.maximumSecondsAgo).contains(seenSecondsAgo) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .seenSecondsAgo, in: container,
                    debugDescription: "is \(seenSecondsAgo); it must be 0 to \(Int(Self.maximumSecondsAgo)) seconds (a day, far beyond any registration TTL)")
            }
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case entries }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        entries = try container.decode([Entry].self, forKey: .entries)
    }
}
