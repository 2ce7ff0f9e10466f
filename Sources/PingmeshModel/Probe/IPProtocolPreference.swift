/// Which address families an agent probes.
public enum IPProtocolPreference: String, Sendable, Hashable, Codable, CaseIterable {
    case ip4
    case ip6
    case both

    public func allows(_ family: IPAddressFamily) -> Bool {
        switch (self, family) {
        case (.both, _), (.ip4, .ipv4), (.ip6, .ipv6): return true
        default: return false
        }
    }
}
