/// Canonical JSON of an `http` block: keys in byte order, nil fields left out, like every other
/// pinglist structure (`PinglistFile+CanonicalJSON.swift`).
extension HTTPProbeOptionsFile {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.beginObject()
        writer.field("body", body)
        writer.field("body_size_limit", bodySizeLimit)
        Self.write(failIfBodyMatchesRegexp, as: "fail_if_body_matches_regexp", to: &writer)
        Self.write(failIfBodyNotMatchesRegexp, as: "fail_if_body_not_matches_regexp", to: &writer)
        writer.field("headers", headers)
        writer.field("method", method)
        writer.field("path", path)
        writer.field("scheme", scheme)
        if let tlsConfig {
            writer.key("tls_config")
            tlsConfig.write(to: &writer)
        }
        if let validStatusCodes {
            // Numbers stay numbers, as JSONEncoder writes them (`HTTPStatusPattern.encode`).
            writer.key("valid_status_codes")
            writer.beginArray()
            for pattern in validStatusCodes {
                if let number = Int(pattern.text) { writer.int(number) } else { writer.string(pattern.text) }
            }
            writer.endArray()
        }
        writer.endObject()
    }

    private static func write(_ list: [String]?, as name: String, to writer: inout CanonicalJSONWriter) {
        guard let list else { return }
        writer.key(name)
        writer.beginArray()
        for item in list { writer.string(item) }
        writer.endArray()
    }
}

extension HTTPTLSConfigFile {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.beginObject()
        writer.field("ca_file", caFile)
        writer.field("insecure_skip_verify", insecureSkipVerify)
        writer.field("server_name", serverName)
        writer.endObject()
    }
}
