extension ProbeTarget {
    /// The target's id: `kind://host:port`; for an HTTP target with its own scheme or path the URL
    /// it probes; for a DNS target the query after it, since two targets asking one server
    /// different questions are different targets (and must not share a phase or a series).
    /// Ids must not change from one release to the next: they key phases, metrics and stored
    /// results.
    static func identifier(kind: ProbeKind, host: String, port: Int, http: HTTPProbeOptions?, dns: DNSProbeOptions? = nil) -> String {
        if let url = http?.targetID(host: host, port: port) { return url }
        let base = "\(kind.rawValue)://\(HostPort.join(host, port))"
        guard kind == .dns, let dns else { return base }
        return base + dns.targetIDQuery
    }
}

extension ProbeTarget {
    /// The host and port of a target id (`tcp://10.0.0.5:9301`, `udp://[fd00::5]:9302`,
    /// `dns://10.0.0.53:53?name=...`, `http://host:9300/ping`): the address part between the
    /// scheme and any path or query. Nil when the id has no scheme or no port.
    public static func endpoint(ofIdentifier id: String) -> (host: String, port: Int)? {
        guard let scheme = id.range(of: "://") else { return nil }
        let rest = id[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        guard let (host, port) = HostPort.split(String(authority)), let port, !host.isEmpty else { return nil }
        return (host, port)
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
