extension ProbeTarget {
    /// The target's id: `kind://host:port`; for an HTTP target with its own scheme or path the URL
    /// it probes; for a DNS target the query after it, since two targets asking one server
    /// different questions are different targets (and must not share a phase or a series).
    /// Every other id stays exactly as it was: ids key phases, metrics and stored results.
    static func identifier(kind: ProbeKind, host: String, port: Int, http: HTTPProbeOptions?, dns: DNSProbeOptions? = nil) -> String {
        if let url = http?.targetID(host: host, port: port) { return url }
        let base = "\(kind.rawValue)://\(HostPort.join(host, port))"
        guard kind == .dns, let dns else { return base }
        return base + dns.targetIDQuery
    }
}

extension DNSProbeOptions {
    /// `?name=www.example.com&type=AAAA`, plus `&transport=tcp` when not the default UDP. The name
    /// is lower-cased without its trailing dot, so spellings of one question give one id.
    public var targetIDQuery: String {
        var name = queryName.lowercased()
        if name.count > 1, name.hasSuffix(".") { name.removeLast() }
        var query = "?name=\(name)&type=\(queryType.name)"
        if transport != .udp { query += "&transport=\(transport.rawValue)" }
        return query
    }
}
