/// TLS for an HTTPS probe, as blackbox_exporter's `tls_config`.
public struct HTTPTLSOptions: Sendable, Hashable {
    /// Skip certificate and host name verification: the probe still times the handshake and reads
    /// the expiry, for targets with self-made certificates an operator has chosen to accept.
    public var insecureSkipVerify: Bool
    /// PEM file of the CAs to trust instead of the system's.
    public var caFile: String?
    /// The name sent in SNI and checked against the certificate, instead of the target's host.
    public var serverName: String?

    public init(insecureSkipVerify: Bool = false, caFile: String? = nil, serverName: String? = nil) {
        self.insecureSkipVerify = insecureSkipVerify
        self.caFile = caFile
        self.serverName = serverName
    }
}
