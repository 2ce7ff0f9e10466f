/// The protocol a probe speaks. Every kind plugs into the same pinglist, scheduler and metrics.
public enum ProbeKind: String, Sendable, Hashable, Codable, CaseIterable {
    case tcp
    case http
    case udp
    case icmp
    case dns
    case ntp
}
