import Foundation

extension HTTPProbeOptionsFile {
    /// Methods a probe may send: those that read or write a resource. CONNECT and TRACE are left
    /// out because they probe proxies and debugging paths, not the service.
    public static let methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    /// Headers the prober writes from the request itself; setting them by hand would contradict it.
    static let proberHeaders: Set<String> = ["content-length", "transfer-encoding", "connection"]
    /// Leaves room in a 512-byte target id for `https://`, a 253-byte host name and a port.
    static let maximumPathBytes = 240

    /// Checks the fields given in this block, each issue under `path` (`groups[1].http`), before
    /// it is laid over its group's: an error then names the block that holds it.
    public func check(path: String, issues: inout [ConfigIssue]) {
        if let scheme, !["http", "https"].contains(scheme) {
            issues.append(.init(path: "\(path).scheme", reason: "'\(scheme)' is neither http nor https"))
        }
        if let method, !Self.methods.contains(method) {
            issues.append(
                .init(path: "\(path).method", reason: "'\(method)' is not an HTTP method (\(Self.methods.joined(separator: ", ")))"))
        }
        if let requestPath = self.path, let reason = Self.pathProblem(requestPath) {
            issues.append(.init(path: "\(path).path", reason: reason))
        }
        var seenHeaders: [String: String] = [:]
        for name in (headers ?? [:]).keys.sorted() {
            let field = "\(path).headers.\(name)"
            if !Self.isToken(name) {
                issues.append(.init(path: field, reason: "'\(name)' is not a header name (letters, digits and !#$%&'*+-.^_`|~)"))
            } else if Self.proberHeaders.contains(name.lowercased()) {
                issues.append(.init(path: field, reason: "is set by the prober from the request itself"))
            } else if let other = seenHeaders[name.lowercased()] {
                issues.append(.init(path: field, reason: "repeats '\(other)': header names ignore case"))
            }
            seenHeaders[name.lowercased()] = name
            if let value = headers?[name], value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                issues.append(.init(path: field, reason: "the value holds a line break or NUL, which would end the header"))
            }
        }
        if let body, body.utf8.count > HTTPProbeOptions.maximumRequestBodyBytes {
            issues.append(
                .init(
                    path: "\(path).body",
                    reason: "\(body.utf8.count) bytes is above the maximum of \(HTTPProbeOptions.maximumRequestBodyBytes)"))
        }
        for (index, pattern) in (validStatusCodes ?? []).enumerated() where HTTPStatusRange(parsing: pattern.text) == nil {
            issues.append(
                .init(
                    path: "\(path).valid_status_codes[\(index)]",
                    reason: "'\(pattern.text)' is not a status (100-599), a range such as 200-299, or a class such as 2xx"))
        }
        if validStatusCodes?.isEmpty == true {
            issues.append(.init(path: "\(path).valid_status_codes", reason: "is empty, so no response could pass; leave it out for 2xx"))
        }
        Self.checkPatterns(failIfBodyMatchesRegexp, path: "\(path).fail_if_body_matches_regexp", issues: &issues)
        Self.checkPatterns(failIfBodyNotMatchesRegexp, path: "\(path).fail_if_body_not_matches_regexp", issues: &issues)
        if let limit = bodySizeLimit, !(1...HTTPProbeOptions.maximumBodySizeLimit).contains(limit) {
            issues.append(
                .init(path: "\(path).body_size_limit", reason: "\(limit) is outside 1...\(HTTPProbeOptions.maximumBodySizeLimit) bytes"))
        }
        tlsConfig?.check(path: "\(path).tls_config", issues: &issues)
    }

    /// The effective options of one target, this block (already laid over the group's) with
    /// defaults applied; `host` is the target's address. Issues that only the combination can
    /// show (plain HTTP with a TLS config from the group) go under `path`.
    public func effective(host: String, path: String, issues: inout [ConfigIssue]) -> HTTPProbeOptions {
        if scheme == "http", tlsConfig != nil {
            issues.append(.init(path: "\(path).scheme", reason: "http, but a tls_config (here or in the group) asks for https"))
        }
        let tls: HTTPTLSOptions? =
            scheme == "https" || (scheme == nil && tlsConfig != nil)
            ? HTTPTLSOptions(
                insecureSkipVerify: tlsConfig?.insecureSkipVerify ?? false, caFile: tlsConfig?.caFile, serverName: tlsConfig?.serverName)
            : nil
        return HTTPProbeOptions(
            method: method ?? "GET", path: self.path, headers: headers ?? [:], body: body,
            validStatusCodes: validStatusCodes?.compactMap { HTTPStatusRange(parsing: $0.text) } ?? [.success],
            failIfBodyMatchesRegexp: failIfBodyMatchesRegexp ?? [], failIfBodyNotMatchesRegexp: failIfBodyNotMatchesRegexp ?? [],
            bodySizeLimit: bodySizeLimit ?? HTTPProbeOptions.defaultBodySizeLimit, tls: tls,
            hostName: IPAddressFamily.of(literal: host) == nil ? host : nil
        )
    }

    static func pathProblem(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return "'\(path)' does not start with /" }
        // The path is part of the target's id, which results carry in at most 512 bytes.
        guard path.utf8.count <= maximumPathBytes else { return "\(path.utf8.count) bytes; at most \(maximumPathBytes)" }
        if path.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f }) {
            return "'\(path)' holds a space or control character; percent-encode it"
        }
        return nil
    }

    static func checkPatterns(_ patterns: [String]?, path: String, issues: inout [ConfigIssue]) {
        for (index, pattern) in (patterns ?? []).enumerated() {
            do {
                _ = try NSRegularExpression(pattern: pattern)
            } catch {
                issues.append(.init(path: "\(path)[\(index)]", reason: "'\(pattern)' is not a valid regular expression"))
            }
        }
    }

    /// RFC 9110 token: a header name.
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty
            && text.unicodeScalars.allSatisfy { scalar in
                ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                    || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar)
            }
    }
}

extension HTTPTLSConfigFile {
    func check(path: String, issues: inout [ConfigIssue]) {
        if let caFile {
            if let reason = Self.caFileProblem(caFile) { issues.append(.init(path: "\(path).ca_file", reason: reason)) }
        }
        if let serverName, !PinglistFile.isHostName(serverName) {
            issues.append(.init(path: "\(path).server_name", reason: "'\(serverName)' is not a host name"))
        }
        if insecureSkipVerify == true, caFile != nil {
            issues.append(
                .init(path: "\(path).insecure_skip_verify", reason: "true makes ca_file pointless: nothing is verified; drop one of them"))
        }
    }

    /// The agent reads the file when it probes; a path that cannot be read now is a typo or a
    /// missing mount, better said when the pinglist loads than as every probe's error.
    static func caFileProblem(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else {
            return FileManager.default.fileExists(atPath: path)
                ? "cannot read '\(path)' (permission denied?)" : "cannot read '\(path)' (no such file)"
        }
        guard String(decoding: data, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
            return "'\(path)' holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        }
        return nil
    }
}
