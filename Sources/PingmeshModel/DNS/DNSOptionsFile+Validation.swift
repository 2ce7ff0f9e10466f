extension DNSOptionsFile {
    /// Issues with the fields this file sets, each under `path` (e.g. `groups[0].dns`); fields it
    /// leaves out are checked where the options are complete (`effective`).
    public func fieldIssues(path: String) -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        if let name = queryName, !Self.isQueryName(name) {
            issues.append(
                .init(
                    path: "\(path).query_name",
                    reason: "'\(name)' is not a domain name (dot-separated labels of 1...63 bytes, at most 253 in all)"))
        }
        if let type = queryType, DNSRecordType(name: type) == nil {
            issues.append(
                .init(
                    path: "\(path).query_type",
                    reason: "'\(type)' is not one of \(DNSRecordType.allCases.map(\.name).joined(separator: ", "))"))
        }
        if let transport, DNSTransport(rawValue: transport.lowercased()) == nil {
            issues.append(.init(path: "\(path).transport", reason: "'\(transport)' is not one of udp, tcp"))
        }
        if let codes = validRcodes {
            if codes.isEmpty { issues.append(.init(path: "\(path).valid_rcodes", reason: "must name at least one RCODE (e.g. NOERROR)")) }
            for (index, code) in codes.enumerated() where DNSResponseCode(name: code) == nil {
                issues.append(
                    .init(
                        path: "\(path).valid_rcodes[\(index)]",
                        reason: "'\(code)' is not one of \(DNSResponseCode.names.joined(separator: ", "))"))
            }
        }
        for (index, answer) in (expectAnswers ?? []).enumerated() where answer.isEmpty {
            issues.append(.init(path: "\(path).expect_answers[\(index)]", reason: "must not be empty"))
        }
        for (index, pattern) in (failIfNoneMatchesRegexp ?? []).enumerated() {
            do {
                _ = try Regex(pattern)
            } catch {
                issues.append(
                    .init(
                        path: "\(path).fail_if_none_matches_regexp[\(index)]", reason: "'\(pattern)' is not a regular expression: \(error)")
                )
            }
        }
        return issues
    }

    /// The complete options, or nil with an issue when a required field is missing. Call it only
    /// once `fieldIssues` found nothing; `path` names where the missing field belongs.
    public func effective(path: String, issues: inout [ConfigIssue]) -> DNSProbeOptions? {
        guard let name = queryName else {
            issues.append(.init(path: "\(path).query_name", reason: "is required for dns targets (set it on the group or the target)"))
            return nil
        }
        return DNSProbeOptions(
            queryName: name, queryType: queryType.flatMap(DNSRecordType.init(name:)) ?? .a,
            transport: transport.flatMap { DNSTransport(rawValue: $0.lowercased()) } ?? .udp,
            validResponseCodes: Set((validRcodes ?? ["NOERROR"]).compactMap(DNSResponseCode.init(name:))),
            expectedAnswers: expectAnswers ?? [], answerPatterns: failIfNoneMatchesRegexp ?? [])
    }

    /// Domain-name syntax for a query: looser than a host name (underscores, as in `_sip._tcp`
    /// SRV names, are fine), but each label 1...63 bytes and the whole at most 253.
    static func isQueryName(_ name: String) -> Bool {
        if name == "." { return true }
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        guard !trimmed.isEmpty, trimmed.utf8.count <= 253 else { return false }
        return trimmed.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 32 && $0 != "\\" }
        }
    }
}
