import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// The socket option that marks a probe's packets with a DSCP codepoint: IP_TOS for IPv4,
/// IPV6_TCLASS for IPv6, the codepoint shifted past the two ECN bits. (The epoll prober sets the
/// same through `pm_set_dscp`.)
enum DSCPOption {
    static func option(for family: SocketAddress) -> ChannelOptions.Types.SocketOption {
        family.protocol == .inet6
            ? ChannelOptions.Types.SocketOption(level: .init(rawValue: CInt(IPPROTO_IPV6)), name: .init(rawValue: IPV6_TCLASS))
            : ChannelOptions.Types.SocketOption(level: .init(rawValue: CInt(IPPROTO_IP)), name: .init(rawValue: IP_TOS))
    }

    static func value(_ dscp: Int) -> SocketOptionValue { SocketOptionValue((dscp & 0x3f) << 2) }
}
