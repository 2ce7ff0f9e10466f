/// What a traceroute found: the request it answers and one path per source port, in the
/// request's order.
public struct TracerouteResult: Sendable, Hashable, Codable {
    public var request: TracerouteRequest
    public var paths: [TraceroutePath]

    public init(request: TracerouteRequest, paths: [TraceroutePath]) {
        self.request = request
        self.paths = paths
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case request, paths }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        request = try container.decode(TracerouteRequest.self, forKey: .request)
        paths = try container.decode([TraceroutePath].self, forKey: .paths)
    }
}
