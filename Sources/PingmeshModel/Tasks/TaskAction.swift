/// What a task makes each chosen agent do. Only measurements: there is no way to express a
/// command, so a stolen admin token can make agents probe, never execute.
public enum TaskAction: Sendable, Hashable, Codable {
    /// Probes of one kind to one target (the request `pingmesh probe` sends).
    case probe(ManualProbeRequest)
    /// A TCP or UDP traceroute with fixed 5-tuples, one path per source port.
    case traceroute(TracerouteRequest)

    private enum CodingKeys: String, CodingKey { case probe, traceroute }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard container.allKeys.count == 1 else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "an action has exactly one of: probe, traceroute"))
        }
        if container.contains(.probe) {
            self = .probe(try container.decode(ManualProbeRequest.self, forKey: .probe))
        } else {
            self = .traceroute(try container.decode(TracerouteRequest.self, forKey: .traceroute))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .probe(let request): try container.encode(request, forKey: .probe)
        case .traceroute(let request): try container.encode(request, forKey: .traceroute)
        }
    }

    /// A short name for listings and metrics.
    public var name: String {
        switch self {
        case .probe(let request): return "probe \(request.kind) \(request.target)"
        case .traceroute(let request): return "traceroute \(request.protocol.rawValue) \(HostPort.join(request.target, request.port))"
        }
    }

    /// What is wrong with the action, each issue naming its field under `action`.
    public func validationIssues() -> [ConfigIssue] {
        switch self {
        case .probe(let request): return request.validationIssues().map { ConfigIssue(path: "action.probe.\($0.path)", reason: $0.reason) }
        case .traceroute(let request):
            do {
                try request.validate()
                return []
            } catch {
                return [ConfigIssue(path: "action.traceroute.\(error.field)", reason: error.reason)]
            }
        }
    }
}
