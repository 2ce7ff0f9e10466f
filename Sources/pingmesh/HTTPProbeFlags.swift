import ArgumentParser
import PingmeshModel

/// `pingmesh probe http`'s request, TLS and validation flags: the command-line spelling of a
/// pinglist's `http:` block, checked by the same rules (an error names the flag, not the field).
struct HTTPProbeFlags: ParsableArguments {
    @Option(help: "HTTP method (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS).")
    var method: String?

    @Option(name: .customLong("header"), help: "Request header NAME:VALUE (repeatable).")
    var headers: [String] = []

    @Option(help: "Request body.")
    var body: String?

    @Flag(help: "Speak TLS without verifying the certificate or its name (the handshake is still timed and the expiry read).")
    var insecure = false

    @Option(help: "PEM file of the CAs to trust instead of the system's (implies https).")
    var caFile: String?

    @Option(help: "Name to send in SNI and check the certificate against (implies https).")
    var serverName: String?

    @Option(help: "Statuses that pass: 200, 200-299 or 2xx (repeatable; default 2xx).")
    var expectStatus: [String] = []

    @Option(help: "Fail unless the body matches this regular expression (repeatable).")
    var expectBody: [String] = []

    @Option(help: "Fail if the body matches this regular expression (repeatable).")
    var rejectBody: [String] = []

    /// The flags as an `http:` block; nil when none was given. Throws on a header that is not
    /// NAME:VALUE, the only form the pinglist's rules cannot see.
    func options(kind: String) throws -> HTTPProbeOptionsFile? {
        let given =
            method != nil || !headers.isEmpty || body != nil || insecure || caFile != nil || serverName != nil
            || !expectStatus.isEmpty || !expectBody.isEmpty || !rejectBody.isEmpty
        guard given else { return nil }
        guard kind == ProbeKind.http.rawValue else {
            throw ValidationError(
                "--method, --header, --body, --insecure, --ca-file, --server-name, --expect-*, --reject-body: only for http probes")
        }
        var headerMap: [String: String] = [:]
        for header in headers {
            guard let colon = header.firstIndex(of: ":"), colon != header.startIndex else {
                throw ValidationError("--header: '\(header)' is not NAME:VALUE")
            }
            let name = String(header[..<colon])
            let value = String(header[header.index(after: colon)...].drop { $0 == " " })
            guard headerMap[name] == nil else { throw ValidationError("--header: '\(name)' is given twice") }
            headerMap[name] = value
        }
        let tls =
            insecure || caFile != nil || serverName != nil
            ? HTTPTLSConfigFile(insecureSkipVerify: insecure ? true : nil, caFile: caFile, serverName: serverName) : nil
        return HTTPProbeOptionsFile(
            method: method, headers: headerMap.isEmpty ? nil : headerMap, body: body,
            validStatusCodes: expectStatus.isEmpty
                ? nil : expectStatus.flatMap { $0.split(separator: ",").map { HTTPStatusPattern(String($0)) } },
            failIfBodyMatchesRegexp: rejectBody.isEmpty ? nil : rejectBody,
            failIfBodyNotMatchesRegexp: expectBody.isEmpty ? nil : expectBody, tlsConfig: tls)
    }

    /// The flag that sets a field of the one-target pinglist `pingmesh probe` builds, so a
    /// pinglist rule's message can name what the operator typed.
    static func flag(for fieldPath: String) -> String? {
        let fields: [(field: String, flag: String)] = [
            ("http.method", "--method"), ("http.headers", "--header"), ("http.body", "--body"),
            ("http.tls_config.insecure_skip_verify", "--insecure"), ("http.tls_config.ca_file", "--ca-file"),
            ("http.tls_config.server_name", "--server-name"), ("http.valid_status_codes", "--expect-status"),
            ("http.fail_if_body_not_matches_regexp", "--expect-body"), ("http.fail_if_body_matches_regexp", "--reject-body"),
            ("http.scheme", "TARGET"), ("http.path", "TARGET"), ("address", "TARGET"), ("port", "TARGET"),
        ]
        // `groups[0].targets[0].http.method` -> `http.method`
        let parts = fieldPath.split(separator: ".", maxSplits: 2)
        let local = parts.count == 3 && fieldPath.hasPrefix("groups[") ? String(parts[2]) : fieldPath
        return fields.first { local == $0.field || local.hasPrefix($0.field + ".") || local.hasPrefix($0.field + "[") }?.flag
    }
}
