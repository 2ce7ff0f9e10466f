import Foundation
import NIOSSL
import PingmeshModel
import Synchronization

/// TLS client contexts by their options, built once and shared: building one reads the trust
/// store (the system's or the ca_file) and costs far more than the probe it serves. A ca_file
/// that changes on disk (a CA rotation) gets a new context at the next probe.
final class HTTPTLSContextCache: Sendable {
    static let shared = HTTPTLSContextCache()

    private struct Key: Hashable {
        var options: HTTPTLSOptions
        var caFileModified: Date?
    }

    private let contexts = Mutex<[Key: NIOSSLContext]>([:])
    /// Far above any sane number of distinct TLS configurations; only a pathological pinglist
    /// churning ca_files reaches it, and then the cache starts over rather than grow.
    private let capacity = 256

    func context(for options: HTTPTLSOptions) throws(HTTPTLSContextError) -> NIOSSLContext {
        let modified = options.caFile.flatMap { try? FileManager.default.attributesOfItem(atPath: $0)[.modificationDate] as? Date }
        let key = Key(options: options, caFileModified: modified)
        if let cached = contexts.withLock({ $0[key] }) { return cached }
        let context = try Self.makeContext(options)
        contexts.withLock { contexts in
            if contexts.count >= capacity { contexts.removeAll() }
            contexts[key] = context
        }
        return context
    }

    static func makeContext(_ options: HTTPTLSOptions) throws(HTTPTLSContextError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if options.insecureSkipVerify {
            configuration.certificateVerification = .none
        } else if let caFile = options.caFile {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            } catch {
                throw HTTPTLSContextError("tls_config.ca_file: cannot load '\(caFile)': \(error)")
            }
            // The ca_file replaces the system's roots, as in blackbox_exporter: a private CA's
            // services should not pass because some public CA also vouches for the name.
            configuration.trustRoots = .certificates(certificates)
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw HTTPTLSContextError("tls: cannot set up a client context: \(error)")
        }
    }
}

/// A TLS configuration that cannot be put to use; the message names the field.
struct HTTPTLSContextError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
