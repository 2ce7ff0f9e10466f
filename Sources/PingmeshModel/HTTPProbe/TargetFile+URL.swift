import Foundation

extension TargetFile {
    /// A target written as a URL, `https://host:port/path?query` (blackbox_exporter's targets):
    /// an http target whose scheme and path become its `http` block. The port defaults to the
    /// scheme's (80, 443), not the agent's.
    public init(url text: String, codingPath: [any CodingKey] = []) throws {
        func corrupted(_ reason: String) -> DecodingError {
            DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "'\(text)' \(reason)"))
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw corrupted("is not a URL")
        }
        guard scheme == "http" || scheme == "https" else { throw corrupted("is not an http:// or https:// URL") }
        guard var host = components.host, !host.isEmpty else { throw corrupted("names no host") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard components.user == nil, components.password == nil else {
            throw corrupted("holds credentials; put an Authorization header in the target's http block instead")
        }
        guard components.fragment == nil else { throw corrupted("holds a #fragment, which is never sent") }
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        let query = components.percentEncodedQuery.map { "?\($0)" } ?? ""
        self.init(address: host, port: components.port ?? (scheme == "https" ? 443 : 80), kind: .http)
        http = HTTPProbeOptionsFile(scheme: scheme, path: path + query)
    }

    /// Whether a shorthand target string is a URL rather than `host:port`.
    public static func isURL(_ text: String) -> Bool { text.contains("://") }
}
