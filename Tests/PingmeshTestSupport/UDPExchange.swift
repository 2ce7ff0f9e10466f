import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One request and its reply over a plain UDP socket: how tests ask whether a helper server
/// (dnsmasq, chronyd) is up without going through the probers they are there to test.
public enum UDPExchange {
    /// Sends `request` to `host`:`port` and returns the first reply `accept` takes within
    /// `timeout`; nil on silence, or at once on an ICMP port unreachable (nothing bound yet).
    /// Blocks on a thread of its own.
    public static func reply(
        host: String, port: Int, request: [UInt8], timeout: Duration, accept: @escaping @Sendable ([UInt8]) -> Bool
    ) async -> [UInt8]? {
        (try? await Command.onOwnThread { exchange(host: host, port: port, request: request, timeout: timeout, accept: accept) }) ?? nil
    }

    private static func exchange(host: String, port: Int, request: [UInt8], timeout: Duration, accept: ([UInt8]) -> Bool) -> [UInt8]? {
        let ipv6 = host.contains(":")
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // Connected, so an ICMP error for the port comes back as ECONNREFUSED on receive.
        let connected: Int32
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { return nil }
            connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return nil }
            connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard connected == 0, send(fd, request, request.count, 0) == request.count else { return nil }
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000) + 1
            guard poll(&poller, 1, milliseconds) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count >= 0 else { return nil }
            let reply = Array(buffer[0..<count])
            if accept(reply) { return reply }
        }
    }
}
