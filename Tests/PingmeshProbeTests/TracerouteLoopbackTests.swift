import Foundation
import NIOCore
import NIOPosix
import PingmeshModel
import Testing

@testable import PingmeshProbe

#if canImport(Glibc)
    import Glibc
#endif

/// Traceroute to this host's own loopback addresses: the target is the first hop, answered by a
/// listener's SYN-ACK (tcp) or a closed port's port unreachable (udp).
@Suite("Traceroute on loopback")
struct TracerouteLoopbackTests {
    /// A TCP listener that accepts (and drops) every connection, on `host` port 0.
    static func listener(_ host: String) async throws -> (any Channel, Int) {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in channel.close() }
            .bind(host: host, port: 0).get()
        return (channel, try #require(channel.localAddress?.port))
    }

    /// A UDP port nobody listens on: bound to learn a free one, then closed.
    /// A UDP port nothing holds, from below the ephemeral range (32768 and up): a port the kernel
    /// just handed out and took back would go to the next socket of the many that other tests
    /// bind at once, which would then swallow the probes instead of answering port unreachable.
    static func closedUDPPort(_ host: String) async throws -> Int {
        for _ in 0..<50 {
            let port = Int.random(in: 29_000...32_700)
            guard let channel = try? await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: host, port: port).get()
            else { continue }
            try await channel.close()
            return port
        }
        Issue.record("no free UDP port below the ephemeral range on \(host)")
        return 29_000
    }

    static func expectReachedAtFirstHop(_ result: TracerouteResult, target: String, sourcePorts: [Int]) throws {
        #expect(result.paths.count == max(sourcePorts.count, 1))
        for (index, path) in result.paths.enumerated() {
            #expect(path.reachedDestination && path.lossStartsAtHop == nil, "\(path)")
            let hop = try #require(path.hops.first)
            #expect(path.hops.count == 1)
            #expect(hop.ttl == 1 && hop.isDestination && hop.address == target, "\(hop)")
            #expect(hop.sent == 2 && hop.received == 2, "\(hop)")
            #expect(hop.rttMinMilliseconds.map { $0 >= 0 && $0 < 1_000 } == true)
            if sourcePorts.isEmpty {
                #expect(path.sourcePort > 0)
            } else {
                #expect(path.sourcePort == sourcePorts[index])
            }
        }
    }

    @Test("tcp to a listener reaches it at hop 1, from the kernel's port or each fixed one", arguments: ["127.0.0.1", "::1"])
    func tcp(_ host: String) async throws {
        let (listener, port) = try await Self.listener(host)
        defer { listener.close(promise: nil) }
        // Fixed source ports below the kernel's ephemeral range (32768 and up), where the other
        // tests' connections and bind-to-0 listeners take theirs: a fixed port in that range may
        // be taken already, and the connect then fails with "Cannot assign requested address".
        let base = Int.random(in: 20_000...28_999)
        for sourcePorts in [[], [base, base + 1]] {
            let request = TracerouteRequest(protocol: .tcp, target: host, port: port, sourcePorts: sourcePorts, probesPerHop: 2)
            try Self.expectReachedAtFirstHop(try await Traceroute.run(request), target: host, sourcePorts: sourcePorts)
        }
    }

    @Test("tcp to a closed port: the RST is the target's answer", arguments: ["127.0.0.1", "::1"])
    func tcpRefused(_ host: String) async throws {
        let port = try await Self.closedUDPPort(host)  // a port number nobody is likely to listen on over TCP either
        let (listener, listening) = try await Self.listener(host)
        listener.close(promise: nil)
        for closed in [port, listening] {
            let request = TracerouteRequest(protocol: .tcp, target: host, port: closed, probesPerHop: 2)
            try Self.expectReachedAtFirstHop(try await Traceroute.run(request), target: host, sourcePorts: [])
        }
    }

    @Test("udp to a closed port reaches it at hop 1 (port unreachable), from the kernel's port or a fixed one", arguments: ["127.0.0.1", "::1"])
    func udp(_ host: String) async throws {
        let port = try await Self.closedUDPPort(host)
        let base = Int.random(in: 20_000...28_999)  // below the ephemeral range, as above
        for sourcePorts in [[], [base]] {
            let request = TracerouteRequest(protocol: .udp, target: host, port: port, sourcePorts: sourcePorts, sourceAddress: host, probesPerHop: 2)
            try Self.expectReachedAtFirstHop(try await Traceroute.run(request), target: host, sourcePorts: sourcePorts)
        }
    }

    @Test("a source port another socket holds is a clear error, not a silent path")
    func portInUse() async throws {
        let holder = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { holder.close(promise: nil) }
        let held = try #require(holder.localAddress?.port)
        let request = TracerouteRequest(protocol: .udp, target: "127.0.0.1", port: 33_434, sourcePorts: [held])
        let error = await #expect(throws: TracerouteError.self) { try await Traceroute.run(request) }
        #expect(error?.description.contains("\(held)") == true, "\(String(describing: error))")
    }

    @Test("a bad request fails validation before any packet")
    func invalid() async {
        await #expect(throws: TracerouteRequestError.self) {
            try await Traceroute.run(TracerouteRequest(protocol: .tcp, target: "127.0.0.1", port: 80, maxHops: 100))
        }
    }
}
