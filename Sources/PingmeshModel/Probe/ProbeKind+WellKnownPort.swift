extension ProbeKind {
    /// Kinds whose target may be a bare host: ICMP has no port, and DNS and NTP servers listen on
    /// their protocol's well-known port (53, 123) unless told otherwise. The agents' own
    /// responders have no such standing, so tcp, udp and http targets name theirs.
    public var hasWellKnownPort: Bool {
        switch self {
        case .icmp, .dns, .ntp: return true
        case .tcp, .udp, .http: return false
        }
    }
}
