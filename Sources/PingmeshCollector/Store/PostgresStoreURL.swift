import Foundation

/// A `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` URL taken apart for the client. The
/// optional query takes `sslmode=disable` (the only mode: the store speaks plain TCP, meant for
/// loopback or a trusted data-center network) and `pool_max_conns=N` (connections per replica).
struct PostgresStoreURL: Sendable, Hashable {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    var maximumConnections: Int

    /// Connections per collector replica unless the URL says otherwise: a handful serve the ingest
    /// and the rollup, and ten replicas still fit PostgreSQL's default `max_connections` of 100.
    static let defaultMaximumConnections = 8

    init(parsing text: String) throws(StoreError) {
        // Errors show the URL without its password.
        let shown = StoreLocation.postgres(url: text).description
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
            throw StoreError(message: "--store: '\(shown)' is not a PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)")
        }
        guard let components = URLComponents(string: text) else {
            throw StoreError(
                message: "--store: '\(shown)' is not a valid URL (percent-encode '@', ':', '/' and '%' in the user name and password)")
        }
        guard var host = components.host, !host.isEmpty else {
            throw StoreError(message: "--store: '\(shown)' names no host (postgres://USER:PASSWORD@HOST:PORT/DATABASE)")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let username = components.user, !username.isEmpty else {
            throw StoreError(message: "--store: '\(shown)' names no user (postgres://USER:PASSWORD@HOST:PORT/DATABASE)")
        }
        let port = components.port ?? 5432
        guard (1...65_535).contains(port) else {
            throw StoreError(message: "--store: '\(shown)' has port \(port), outside 1-65535")
        }
        var path = components.path
        if path.hasPrefix("/") { path.removeFirst() }
        guard !path.contains("/") else {
            throw StoreError(message: "--store: '\(shown)' has path '/\(path)'; the path is the database name, one segment")
        }
        var maximumConnections = Self.defaultMaximumConnections
        for item in components.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("sslmode", "disable"):
                continue
            case ("sslmode", let mode):
                throw StoreError(
                    message: "--store: sslmode=\(mode ?? "") is not supported; the store connects without TLS (sslmode=disable)")
            case ("pool_max_conns", let value):
                guard let value, let count = Int(value), (1...1000).contains(count) else {
                    throw StoreError(message: "--store: pool_max_conns=\(item.value ?? "") must be a whole number from 1 to 1000")
                }
                maximumConnections = count
            default:
                throw StoreError(message: "--store: unknown URL parameter '\(item.name)' (known: sslmode=disable, pool_max_conns=N)")
            }
        }
        self.host = host
        self.port = port
        self.username = username
        self.password = components.password
        // PostgreSQL's own default: the database named after the user.
        self.database = path.isEmpty ? username : path
        self.maximumConnections = maximumConnections
    }
}
