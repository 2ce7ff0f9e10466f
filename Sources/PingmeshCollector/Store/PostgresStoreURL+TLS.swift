import NIOSSL
import PostgresNIO

extension PostgresStoreURL {
    /// The client's TLS settings for `tlsMode`.
    var clientTLS: PostgresClient.Configuration.TLS {
        guard let configuration = tlsConfiguration else { return .disable }
        return .require(configuration)
    }

    /// The same for a single connection; it throws when the CA file does not load, never
    /// falling back to plain TCP.
    func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        guard let configuration = tlsConfiguration else { return .disable }
        return .require(try NIOSSLContext(configuration: configuration))
    }

    private var tlsConfiguration: TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch tlsMode {
        case .disable: return nil
        case .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let rootCertificateFile { configuration.trustRoots = .file(rootCertificateFile) }
        return configuration
    }
}
