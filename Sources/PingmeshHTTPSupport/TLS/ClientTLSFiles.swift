import Foundation
import NIOSSL

/// What a client (an agent, a collector calling a controller) needs to talk HTTPS to a fleet
/// server: the CA that signed the servers' certificates and, for mutual TLS, its own certificate
/// and key. Files are checked up front so a typo fails at start, naming the file.
public struct ClientTLSFiles: Sendable, Hashable {
    /// nil: the system's trust store.
    public var ca: String?
    public var certificate: String?
    public var key: String?

    public init(ca: String? = nil, certificate: String? = nil, key: String? = nil) {
        self.ca = ca
        self.certificate = certificate
        self.key = key
    }

    public func configuration(now: Date = Date()) throws(TLSSetupError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let ca {
            let roots = try ServerTLSFiles.certificates(ca, role: "CA")
            guard !roots.isEmpty else { throw TLSSetupError("\(ca): no CA certificate in the file (expected PEM)") }
            configuration.trustRoots = .certificates(roots)
        }
        switch (certificate, key) {
        case (nil, nil): break
        case let (certificate?, key?):
            let (chain, privateKey) = try ServerTLSFiles.keyPair(certificate: certificate, key: key, role: "client certificate", now: now)
            configuration.certificateChain = chain.map { .certificate($0) }
            configuration.privateKey = .privateKey(privateKey)
            // BoringSSL checks that the key is the certificate's when the context is built.
            do {
                _ = try NIOSSLContext(configuration: configuration)
            } catch {
                throw TLSSetupError("\(key): the key does not match the certificate in \(certificate)")
            }
        case (.some, nil): throw TLSSetupError("a client certificate needs its key")
        case (nil, .some): throw TLSSetupError("a client key needs its certificate")
        }
        return configuration
    }
}
