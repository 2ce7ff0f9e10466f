/// A DNS probe's options as written in a pinglist, on a group (for all its targets) or on one
/// target (overriding the group's field by field). `DNSOptionsFile.effective` checks them.
public struct DNSOptionsFile: Sendable, Hashable, Codable {
    public var queryName: String?
    /// A mnemonic: A, AAAA, CNAME, SRV, TXT, NS or MX.
    public var queryType: String?
    /// `udp` (default) or `tcp`.
    public var transport: String?
    /// RCODE mnemonics that count as an answer; default `[NOERROR]`.
    public var validRcodes: [String]?
    public var expectAnswers: [String]?
    public var failIfNoneMatchesRegexp: [String]?

    public init(
        queryName: String? = nil, queryType: String? = nil, transport: String? = nil, validRcodes: [String]? = nil,
        expectAnswers: [String]? = nil, failIfNoneMatchesRegexp: [String]? = nil
    ) {
        self.queryName = queryName
        self.queryType = queryType
        self.transport = transport
        self.validRcodes = validRcodes
        self.expectAnswers = expectAnswers
        self.failIfNoneMatchesRegexp = failIfNoneMatchesRegexp
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case queryName = "query_name"
        case queryType = "query_type"
        case transport
        case validRcodes = "valid_rcodes"
        case expectAnswers = "expect_answers"
        case failIfNoneMatchesRegexp = "fail_if_none_matches_regexp"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        queryName = try container.decodeIfPresent(String.self, forKey: .queryName)
        queryType = try container.decodeIfPresent(String.self, forKey: .queryType)
        transport = try container.decodeIfPresent(String.self, forKey: .transport)
        validRcodes = try container.decodeIfPresent([String].self, forKey: .validRcodes)
        expectAnswers = try container.decodeIfPresent([String].self, forKey: .expectAnswers)
        failIfNoneMatchesRegexp = try container.decodeIfPresent([String].self, forKey: .failIfNoneMatchesRegexp)
    }

    /// These options with `override`'s fields taking precedence where it sets them.
    public func overridden(by override: DNSOptionsFile?) -> DNSOptionsFile {
        guard let override else { return self }
        return DNSOptionsFile(
            queryName: override.queryName ?? queryName, queryType: override.queryType ?? queryType,
            transport: override.transport ?? transport, validRcodes: override.validRcodes ?? validRcodes,
            expectAnswers: override.expectAnswers ?? expectAnswers,
            failIfNoneMatchesRegexp: override.failIfNoneMatchesRegexp ?? failIfNoneMatchesRegexp)
    }
}
