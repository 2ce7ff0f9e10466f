/// What a DNS probe asks and what counts as a good answer, defaults applied and validated.
public struct DNSProbeOptions: Sendable, Hashable {
    /// The name asked for, fully qualified (`www.example.com`; a trailing dot is optional).
    public var queryName: String
    public var queryType: DNSRecordType
    public var transport: DNSTransport
    /// RCODEs that count as an answer; any other is an error naming the code.
    public var validResponseCodes: Set<DNSResponseCode>
    /// Values that must each appear among the answer records' data (`10.0.0.1`, `www.example.com.`);
    /// empty checks nothing.
    public var expectedAnswers: [String]
    /// Regular expressions each of which must match at least one answer record's data
    /// (blackbox_exporter's `fail_if_none_matches_regexp`).
    public var answerPatterns: [String]

    public init(
        queryName: String, queryType: DNSRecordType = .a, transport: DNSTransport = .udp,
        validResponseCodes: Set<DNSResponseCode> = [.noError], expectedAnswers: [String] = [], answerPatterns: [String] = []
    ) {
        self.queryName = queryName
        self.queryType = queryType
        self.transport = transport
        self.validResponseCodes = validResponseCodes
        self.expectedAnswers = expectedAnswers
        self.answerPatterns = answerPatterns
    }
}
