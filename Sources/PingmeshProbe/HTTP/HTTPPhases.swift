import Foundation

/// The phases of one HTTP probe, named as blackbox_exporter names them: resolve (the host name's
/// latest resolution, done before the probe and outside its RTT; absent for a literal address),
/// connect (the TCP handshake), tls (the TLS handshake, HTTPS only), processing (request sent to
/// the response's first byte) and transfer (first byte to the end of the body); with what the
/// probe learnt on the way.
public struct HTTPPhases: Sendable, Equatable {
    public var resolve: Duration?
    public var connect: Duration?
    public var tls: Duration?
    public var processing: Duration?
    public var transfer: Duration?
    public var status: Int?
    public var bodyBytes: Int
    /// The server certificate's notAfter (HTTPS), read even when verification failed: an expired
    /// certificate's date is what the operator needs to see.
    public var certificateNotAfter: Date?
    /// Why the probe failed, when the failure is one of HTTP's own (TLS or validation).
    public var failure: HTTPProbeFailure?

    public init(
        connect: Duration? = nil, tls: Duration? = nil, processing: Duration? = nil, transfer: Duration? = nil, status: Int? = nil,
        bodyBytes: Int = 0, certificateNotAfter: Date? = nil, failure: HTTPProbeFailure? = nil, resolve: Duration? = nil
    ) {
        self.resolve = resolve
        self.connect = connect
        self.tls = tls
        self.processing = processing
        self.transfer = transfer
        self.status = status
        self.bodyBytes = bodyBytes
        self.certificateNotAfter = certificateNotAfter
        self.failure = failure
    }

    /// The timed phases in order, with blackbox_exporter's names, for metrics and reports.
    public var named: [(phase: String, duration: Duration?)] {
        [("resolve", resolve), ("connect", connect), ("tls", tls), ("processing", processing), ("transfer", transfer)]
    }

    public static let phaseNames = ["resolve", "connect", "tls", "processing", "transfer"]
}
