import ArgumentParser
import PingmeshHTTPSupport

/// `--tls-cert`, `--tls-key`, `--tls-client-ca`: HTTPS, and optionally mutual TLS, for the
/// long-running servers. The files are checked at start (a missing file, a key for another
/// certificate or an expired certificate stops the command with a message naming the file) and
/// reloaded when they change.
struct ServerTLSOptions: ParsableArguments {
    @Option(help: "Serve HTTPS with this certificate chain (PEM); reloaded when the file changes.")
    var tlsCert: String?

    @Option(help: "The private key (PEM) of --tls-cert.")
    var tlsKey: String?

    @Option(help: "Mutual TLS: refuse clients without a certificate from this CA (PEM), e.g. the fleet CA.")
    var tlsClientCa: String?

    /// The server's TLS context, or nil for plain HTTP.
    func context() throws -> ServerTLSContext? {
        switch (tlsCert, tlsKey) {
        case (nil, nil):
            if tlsClientCa != nil { throw ValidationError("--tls-client-ca: needs --tls-cert and --tls-key (mutual TLS runs over HTTPS)") }
            return nil
        case (.some, nil): throw ValidationError("--tls-key: required with --tls-cert")
        case (nil, .some): throw ValidationError("--tls-cert: required with --tls-key")
        case let (certificate?, key?):
            do {
                return try ServerTLSContext(files: ServerTLSFiles(certificate: certificate, key: key, clientCA: tlsClientCa))
            } catch {
                throw ValidationError("TLS: \(error)")
            }
        }
    }
}
