import Foundation
import NIOSSL

/// Names why a TLS handshake failed. BoringSSL reports every verification failure as one
/// CERTIFICATE_VERIFY_FAILED, so the certificate the server presented, which is still readable
/// after the failure, tells an expired or not-yet-valid certificate from an untrusted one.
enum TLSFailureDiagnosis {
    static func diagnose(
        _ error: any Error, peerCertificate: NIOSSLCertificate?, expectedName: String?, now: Date = Date()
    ) -> (failure: HTTPProbeFailure, detail: String) {
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return (.hostnameMismatch, "tls: certificate is not valid for \(expectedName ?? "the target's address")")
        }
        guard "\(error)".contains("CERTIFICATE_VERIFY_FAILED") else {
            return (.handshakeFailed, "tls: handshake failed: \(error)")
        }
        if let certificate = peerCertificate {
            let notAfter = Date(timeIntervalSince1970: TimeInterval(certificate.notValidAfter))
            let notBefore = Date(timeIntervalSince1970: TimeInterval(certificate.notValidBefore))
            if notAfter < now { return (.certificateExpired, "tls: certificate expired at \(timestamp(notAfter))") }
            if notBefore > now { return (.certificateNotYetValid, "tls: certificate is not valid before \(timestamp(notBefore))") }
        }
        return (
            .certificateUntrusted, "tls: certificate is not trusted (no chain to a trusted CA; set tls_config.ca_file for a private CA)"
        )
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
