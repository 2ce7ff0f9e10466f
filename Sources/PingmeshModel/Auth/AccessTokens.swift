import Foundation

/// What a bearer token may do.
public enum TokenScope: String, Sendable, Hashable, Codable, CaseIterable {
    /// Pull its pinglist, register and heartbeat.
    case agent
    /// Everything, including the topology and agent listings.
    case admin

    public func allows(_ required: TokenScope) -> Bool { self == .admin || self == required }
}

/// The controller's bearer tokens. With none configured, the API is open (and says so at start).
public struct AccessTokens: Sendable {
    private var scopes: [String: TokenScope]

    public init(_ scopes: [String: TokenScope] = [:]) {
        self.scopes = scopes
    }

    public var isOpen: Bool { scopes.isEmpty }

    public func scope(of token: String) -> TokenScope? { scopes[token] }

    /// Reads a tokens file: `tokens: [{token: ..., scope: agent|admin}]`, YAML or JSON.
    public static func load(path: String) throws(ConfigError) -> AccessTokens {
        let data = try ConfigDocument.read(path: path)
        let file = try ConfigDocument.decode(TokensFile.self, from: data, file: path)
        var scopes: [String: TokenScope] = [:]
        var issues: [ConfigIssue] = []
        for (index, entry) in file.tokens.enumerated() {
            if entry.token.count < 16 {
                issues.append(.init(path: "tokens[\(index)].token", reason: "is shorter than 16 characters: too easy to guess"))
            } else if scopes[entry.token] != nil {
                issues.append(.init(path: "tokens[\(index)].token", reason: "appears twice"))
            }
            scopes[entry.token] = entry.scope
        }
        guard issues.isEmpty else { throw ConfigError(file: path, issues: issues) }
        return AccessTokens(scopes)
    }

    private struct TokensFile: Decodable {
        struct Entry: Decodable {
            var token: String
            var scope: TokenScope
        }
        var tokens: [Entry]
    }
}
