import Foundation
import NIOSSL

/// The files a TLS server is started from: its certificate chain and key (PEM), and, for mutual
/// TLS, the CA whose certificates clients must present (the fleet CA).
public struct ServerTLSFiles: Sendable, Hashable {
    public var certificate: String
    public var key: String
    /// When set, a client without a certificate from this CA is refused in the handshake.
    public var clientCA: String?

    public init(certificate: String, key: String, clientCA: String? = nil) {
        self.certificate = certificate
        self.key = key
        self.clientCA = clientCA
    }

    /// Reads and checks the files, and builds the server's TLS context: every problem an operator
    /// can fix (a missing file, a key that does not match, an expired or not yet valid
    /// certificate) is a `TLSSetupError` naming the file and the fix.
    public func context(now: Date = Date()) throws(TLSSetupError) -> NIOSSLContext {
        let configuration = try self.configuration(now: now)
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch NIOSSLError.failedToLoadPrivateKey {
            // BoringSSL refuses a key whose public half is not the certificate's.
            throw TLSSetupError("\(key): the key does not match the certificate in \(certificate)")
        } catch {
            throw TLSSetupError("\(certificate), \(key): cannot start TLS with them (\(error))")
        }
    }

    func configuration(now: Date) throws(TLSSetupError) -> TLSConfiguration {
        let (chain, privateKey) = try Self.keyPair(certificate: certificate, key: key, role: "certificate", now: now)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        configuration.minimumTLSVersion = .tlsv12
        if let clientCA {
            let roots = try Self.certificates(clientCA, role: "client CA")
            guard !roots.isEmpty else { throw TLSSetupError("\(clientCA): no CA certificate in the file (expected PEM)") }
            // Clients are fleet machines, not host names: the chain to the fleet CA is the check.
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(roots)
        }
        return configuration
    }

    /// A certificate chain, valid now, and its private key; a problem names the file.
    static func keyPair(certificate: String, key: String, role: String, now: Date) throws(TLSSetupError)
        -> ([NIOSSLCertificate], NIOSSLPrivateKey)
    {
        let chain = try certificates(certificate, role: role)
        guard let leaf = chain.first else { throw TLSSetupError("\(certificate): no certificate in the file (expected PEM)") }
        try checkValidity(leaf, file: certificate, now: now)
        do {
            return (chain, try NIOSSLPrivateKey(file: key, format: .pem))
        } catch {
            throw TLSSetupError("\(key): \(readable(key) ? "not a PEM private key (\(error))" : "cannot be read")")
        }
    }

    /// The PEM certificates in `path`; an error naming the file and its `role` when it cannot
    /// be read or holds none.
    public static func certificates(_ path: String, role: String) throws(TLSSetupError) -> [NIOSSLCertificate] {
        guard readable(path) else { throw TLSSetupError("\(path): the \(role) file cannot be read (missing, or no permission)") }
        do {
            return try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw TLSSetupError("\(path): the \(role) file is not PEM certificates (\(error))")
        }
    }

    static func checkValidity(_ certificate: NIOSSLCertificate, file: String, now: Date) throws(TLSSetupError) {
        let notAfter = Date(timeIntervalSince1970: TimeInterval(certificate.notValidAfter))
        let notBefore = Date(timeIntervalSince1970: TimeInterval(certificate.notValidBefore))
        let format = ISO8601DateFormatter()
        if notAfter < now { throw TLSSetupError("\(file): the certificate expired at \(format.string(from: notAfter)); renew it") }
        if notBefore > now { throw TLSSetupError("\(file): the certificate is not valid before \(format.string(from: notBefore)); check the clock") }
    }

    static func readable(_ path: String) -> Bool { FileManager.default.isReadableFile(atPath: path) }
}

/// A TLS file problem, worded for the operator who has to fix it.
public struct TLSSetupError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
