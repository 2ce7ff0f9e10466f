import ArgumentParser
import Foundation
import PingmeshModel

/// `pingmesh probe dns`'s flags: the pinglist's `dns` options, spelled as flags and checked by
/// the same rules, with errors naming the flag.
struct DNSProbeFlags: ParsableArguments {
    @Option(help: "dns: the name to ask for (required for dns).")
    var queryName: String?

    @Option(help: "dns: the record type to ask for: A (default), AAAA, CNAME, SRV, TXT, NS or MX.")
    var queryType: String?

    @Option(help: "dns: udp (default) or tcp (a 2-byte length before each message).")
    var transport: String?

    @Option(help: "dns: comma-separated RCODEs that count as an answer (default NOERROR), e.g. NOERROR,NXDOMAIN.")
    var validRcodes: String?

    @Option(help: "dns: a value the answers must hold, e.g. 10.0.0.1 (repeatable).")
    var expectAnswer: [String] = []

    @Option(help: "dns: a regular expression at least one answer must match (repeatable).")
    var failIfNoneMatchesRegexp: [String] = []

    /// Which flag each option field is, for error messages.
    private static let flags = [
        "query_name": "--query-name", "query_type": "--query-type", "transport": "--transport", "valid_rcodes": "--valid-rcodes",
        "expect_answers": "--expect-answer", "fail_if_none_matches_regexp": "--fail-if-none-matches-regexp",
    ]

    /// The options for a probe of `kind`; nil for other kinds, which must not be given dns flags.
    func options(kind: String) throws -> DNSOptionsFile? {
        let file = DNSOptionsFile(
            queryName: queryName, queryType: queryType, transport: transport,
            validRcodes: validRcodes.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } },
            expectAnswers: expectAnswer.isEmpty ? nil : expectAnswer,
            failIfNoneMatchesRegexp: failIfNoneMatchesRegexp.isEmpty ? nil : failIfNoneMatchesRegexp)
        guard kind == ProbeKind.dns.rawValue else {
            let given: [(flag: String, isSet: Bool)] = [
                ("--query-name", queryName != nil), ("--query-type", queryType != nil), ("--transport", transport != nil),
                ("--valid-rcodes", validRcodes != nil), ("--expect-answer", !expectAnswer.isEmpty),
                ("--fail-if-none-matches-regexp", !failIfNoneMatchesRegexp.isEmpty),
            ]
            if let first = given.first(where: \.isSet) { throw ValidationError("\(first.flag): only dns probes take it") }
            return nil
        }
        if let issue = file.fieldIssues(path: "").first { throw ValidationError(Self.message(for: issue)) }
        guard queryName != nil else { throw ValidationError("--query-name: required for dns probes (e.g. --query-name www.example.com)") }
        return file
    }

    /// `.query_type` or `.valid_rcodes[2]` as the flag it came from.
    private static func message(for issue: ConfigIssue) -> String {
        let field = issue.path.drop { $0 == "." }.prefix { $0 != "[" }
        return "\(flags[String(field)] ?? String(field)): \(issue.reason)"
    }
}
