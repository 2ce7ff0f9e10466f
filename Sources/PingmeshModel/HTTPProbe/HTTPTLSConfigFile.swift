/// An `http.tls_config` block as written (blackbox_exporter's field names).
public struct HTTPTLSConfigFile: Sendable, Hashable, Codable {
    public var insecureSkipVerify: Bool?
    public var caFile: String?
    public var serverName: String?

    public init(insecureSkipVerify: Bool? = nil, caFile: String? = nil, serverName: String? = nil) {
        self.insecureSkipVerify = insecureSkipVerify
        self.caFile = caFile
        self.serverName = serverName
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case insecureSkipVerify = "insecure_skip_verify"
        case caFile = "ca_file"
        case serverName = "server_name"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            insecureSkipVerify: try container.decodeIfPresent(Bool.self, forKey: .insecureSkipVerify),
            caFile: try container.decodeIfPresent(String.self, forKey: .caFile),
            serverName: try container.decodeIfPresent(String.self, forKey: .serverName)
        )
    }

    func overriding(_ base: HTTPTLSConfigFile?) -> HTTPTLSConfigFile {
        guard let base else { return self }
        return HTTPTLSConfigFile(
            insecureSkipVerify: insecureSkipVerify ?? base.insecureSkipVerify, caFile: caFile ?? base.caFile,
            serverName: serverName ?? base.serverName)
    }
}
