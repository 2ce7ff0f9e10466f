import Foundation
import NIOSSL

/// A `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` URL taken apart for the client. The
/// optional query takes libpq's `sslmode` (`disable`, the default, `require`, `verify-ca` or
/// `verify-full`) and `sslrootcert=FILE` (the PEM CA the server's certificate must chain to;
/// the system's roots without it), and `pool_max_conns=N` (connections per replica).
struct PostgresStoreURL: Sendable, Hashable {
    /// How the connection is secured, as libpq's `sslmode` says it.
    enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP: loopback or a trusted network.
        case disable
        /// Encrypted; the server's certificate is not checked (it defends against listening, not
        /// against a server in the middle).
        case require
        /// Encrypted, and the certificate chains to `sslrootcert` (or the system's roots).
        case verifyCA = "verify-ca"
        /// As `verify-ca`, and the certificate names the host of the URL.
        case verifyFull = "verify-full"
    }

    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    var maximumConnections: Int
    var tlsMode: TLSMode
    /// The CA file of `sslrootcert`, checked to be readable PEM when the URL was parsed.
    var rootCertificateFile: String?

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
        var tlsMode = TLSMode.disable
        var rootCertificateFile: String?
        for item in components.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("sslmode", let mode):
                guard let mode = mode.flatMap(TLSMode.init(rawValue:)) else {
                    throw StoreError(
                        message:
                            "--store: sslmode=\(item.value ?? "") is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")) (prefer and allow are not offered: a store either uses TLS or does not)"
                    )
                }
                tlsMode = mode
            case ("sslrootcert", let file):
                guard let file, !file.isEmpty else { throw StoreError(message: "--store: sslrootcert= names no file") }
                guard FileManager.default.isReadableFile(atPath: file) else {
                    throw StoreError(message: "--store: sslrootcert=\(file) cannot be read")
                }
                guard (try? NIOSSLCertificate.fromPEMFile(file))?.isEmpty == false else {
                    throw StoreError(message: "--store: sslrootcert=\(file) holds no PEM certificate")
                }
                rootCertificateFile = file
            case ("pool_max_conns", let value):
                guard let value, let count = Int(value), (1...1000).contains(count) else {
                    throw StoreError(message: "--store: pool_max_conns=\(item.value ?? "") must be a whole number from 1 to 1000")
                }
                maximumConnections = count
            default:
                throw StoreError(message: "--store: unknown URL parameter '\(item.name)' (known: sslmode, sslrootcert, pool_max_conns)")
            }
        }
        self.host = host
        self.port = port
        self.username = username
        self.password = components.password
        // PostgreSQL's own default: the database named after the user.
        self.database = path.isEmpty ? username : path
        self.maximumConnections = maximumConnections
        if rootCertificateFile != nil, tlsMode == .disable || tlsMode == .require {
            throw StoreError(
                message: "--store: sslrootcert is only checked with sslmode=verify-ca or verify-full (sslmode is \(tlsMode.rawValue))")
        }
        self.tlsMode = tlsMode
        self.rootCertificateFile = rootCertificateFile
    }
}
