/// How a DNS probe reaches its server: one datagram each way, or a TCP connection with the
/// 2-byte length prefix of RFC 1035 4.2.2.
public enum DNSTransport: String, Sendable, Hashable, CaseIterable {
    case udp
    case tcp
}
