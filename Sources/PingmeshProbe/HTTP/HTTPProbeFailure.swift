/// The ways an HTTP probe fails that are HTTP's own, apart from the socket errors every prober
/// shares. The result class stays `error` (the contract's classes are few and fixed); this tells
/// an operator which check failed, and is a bounded metric label.
public enum HTTPProbeFailure: String, Sendable, Hashable, CaseIterable {
    /// The certificate chain does not lead to a trusted CA (self-signed, unknown issuer).
    case certificateUntrusted = "tls_certificate_untrusted"
    case certificateExpired = "tls_certificate_expired"
    case certificateNotYetValid = "tls_certificate_not_yet_valid"
    /// The certificate is valid but for another name than the one asked for.
    case hostnameMismatch = "tls_hostname_mismatch"
    /// Any other TLS failure: protocol versions, ciphers, a peer that is not speaking TLS.
    case handshakeFailed = "tls_handshake_failed"
    case statusNotAccepted = "status_not_accepted"
    case bodyMatched = "body_matched"
    case bodyNotMatched = "body_not_matched"
    case bodyTooLarge = "body_too_large"
}
