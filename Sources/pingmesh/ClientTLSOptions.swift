import ArgumentParser
import NIOSSL
import PingmeshHTTPSupport

/// `--ca-file`, `--client-cert`, `--client-key`: how an agent reaches HTTPS controllers and
/// collectors: the CA that signed their certificates (else the system's trust store) and, where
/// they require mutual TLS, the agent's own certificate from the fleet CA.
struct ClientTLSOptions: ParsableArguments {
    @Option(help: "Trust HTTPS controllers and collectors whose certificates this CA (PEM) signed.")
    var caFile: String?

    @Option(help: "Mutual TLS: present this certificate (PEM) to controllers and collectors.")
    var clientCert: String?

    @Option(help: "The private key (PEM) of --client-cert.")
    var clientKey: String?

    /// The TLS settings, or nil when no option is given (the system's trust store, no certificate).
    func configuration() throws -> TLSConfiguration? {
        if caFile == nil && clientCert == nil && clientKey == nil { return nil }
        if clientCert != nil && clientKey == nil { throw ValidationError("--client-key: required with --client-cert") }
        if clientKey != nil && clientCert == nil { throw ValidationError("--client-cert: required with --client-key") }
        do {
            return try ClientTLSFiles(ca: caFile, certificate: clientCert, key: clientKey).configuration()
        } catch {
            throw ValidationError("TLS: \(error)")
        }
    }
}
