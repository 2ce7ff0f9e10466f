extension DNSOptionsFile {
    /// Writes `key` and these options with their keys in sorted order, as the rest of the
    /// canonical pinglist (`PinglistFile+CanonicalJSON.swift`).
    func write(key: String, to writer: inout CanonicalJSONWriter) {
        writer.key(key)
        writer.beginObject()
        Self.write("expect_answers", expectAnswers, to: &writer)
        Self.write("fail_if_none_matches_regexp", failIfNoneMatchesRegexp, to: &writer)
        writer.field("query_name", queryName)
        writer.field("query_type", queryType)
        writer.field("transport", transport)
        Self.write("valid_rcodes", validRcodes, to: &writer)
        writer.endObject()
    }

    private static func write(_ name: String, _ values: [String]?, to writer: inout CanonicalJSONWriter) {
        guard let values else { return }
        writer.key(name)
        writer.beginArray()
        for value in values { writer.string(value) }
        writer.endArray()
    }
}
