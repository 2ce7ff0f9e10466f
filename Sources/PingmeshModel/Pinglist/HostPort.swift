/// Splitting and joining `host:port`, with IPv6 literals in brackets.
public enum HostPort {
    /// `10.0.0.1:9301` -> ("10.0.0.1", 9301); `[::1]:9301` -> ("::1", 9301); `host` -> ("host", nil);
    /// a bare IPv6 literal `::1` -> ("::1", nil). Returns nil when the text cannot be read as either.
    public static func split(_ text: String) -> (host: String, port: Int?)? {
        guard !text.isEmpty else { return nil }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, nil) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()) else { return nil }
            return (host, port)
        }
        let colons = text.filter { $0 == ":" }.count
        if colons == 0 { return (text, nil) }
        if colons > 1 { return (text, nil) }  // an unbracketed IPv6 literal carries no port
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard let port = Int(parts[1]) else { return nil }
        return (String(parts[0]), port)
    }

    public static func join(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
