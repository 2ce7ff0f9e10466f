import Foundation

/// What a bearer token may do.
public enum TokenScope: String, Sendable, Hashable, Codable, CaseIterable {
    /// Pull its pinglist, register and heartbeat.
    case agent
    /// Everything, including the topology and agent listings.
    case admin

    public func allows(_ required: TokenScope) -> Bool { self == .admin || self == required }
}

/// A server's bearer tokens. With none configured, agent routes and reads are open, and admin
/// operations (requests of admin scope that change something: tasks, upgrades, faults, manual
/// probes) stay closed unless the operator opens them to anyone with `openAdmin`
/// (`--insecure-open-admin`), which only a lab should do.
public struct AccessTokens: Sendable {
    private var scopes: [String: TokenScope]
    /// Admin operations without a token; only meaningful with no tokens (a tokens file already
    /// says who is admin, and the command line refuses both together).
    public var openAdmin: Bool

    public init(_ scopes: [String: TokenScope] = [:], openAdmin: Bool = false) {
        self.scopes = scopes
        self.openAdmin = openAdmin
    }

    /// No tokens: requests need none, but admin operations are refused unless `openAdmin`.
    public var isOpen: Bool { scopes.isEmpty }

    /// Anyone who reaches the server may run admin operations.
    public var adminOpenToAnyone: Bool { scopes.isEmpty && openAdmin }

    /// Why an admin operation without a token is refused, naming the flags that change it.
    public static let closedAdminMessage =
        "admin operations are closed: start the server with --tokens FILE holding a token of scope admin and send "
        + "Authorization: Bearer TOKEN (pingmesh up writes one to its data directory's admin-token), "
        + "or open them to anyone with --insecure-open-admin"

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
