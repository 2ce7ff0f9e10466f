import Foundation
import PingmeshModel
import PingmeshTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `pingmesh traceroute` across real routers: five network namespaces in a chain,
/// src -- r1 -- r2 -- r3 -- dst, each router forwarding between two veth links. The traceroute
/// runs inside src, so every probe stays in namespaces the test made. Skipped (failed under CI)
/// without namespaces, ip, nft, sysctl, python3 or the built binary.
@Suite(
    "Traceroute through namespaces", .serialized,
    .requires(.networkNamespaces, .tool(.ip), .tool(.nft), .tool(.sysctl), .tool(.python3), .pingmeshBinary))
struct TracerouteNamespaceTests {
    static let pid = Int(getpid())
    /// A /16 of its own per test process: links are 10.B.1.0/24 (src-r1) to 10.B.4.0/24 (r3-dst).
    static let subnet = "10.\(100 + pid % 100)"
    static let roles = ["src", "r1", "r2", "r3", "dst"]
    static func namespace(_ role: String) -> String { "pmtr\(pid)\(role)" }
    /// Link i (1...4) joins roles[i-1] (address .1) to roles[i] (address .2).
    static func address(link: Int, end: Int) -> String { "\(subnet).\(link).\(end)" }
    static var target: String { address(link: 4, end: 2) }
    static let tcpPort = 9301
    static let udpPort = 33_434

    struct Failure: Error, CustomStringConvertible { var description: String }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String], stdin: String? = nil) throws -> CommandResult {
        let result = try Command.runBlocking(tool, arguments, stdin: stdin.map { Data($0.utf8) })
        if result.status != 0 { throw Failure(description: "\(tool) \(arguments.joined(separator: " ")): \(result.stderr)\(result.stdout)") }
        return result
    }

    /// The programs the suite's `.requires` vouched for.
    static func tools() throws -> (ip: String, nft: String, python: String, pingmesh: String) {
        (try Tool.ip.path(), try Tool.nft.path(), try Tool.python3.path(), try PingmeshBinary.require())
    }

    /// Builds the chain, starts a TCP listener in dst, runs `body` with a way to run
    /// `pingmesh traceroute` in src and to load nftables rules into a namespace; tears it all down.
    static func withChain(
        _ body: (_ traceroute: ([String]) throws -> TracerouteResult, _ nft: (String, String) throws -> Void) throws -> Void
    ) throws {
        let (ip, nft, python, pingmesh) = try tools()
        var created: [String] = []
        var listener: Process?
        defer {
            // SIGKILL: the listener inherits a test thread's signal mask, which may block SIGTERM.
            if let listener, listener.isRunning { kill(listener.processIdentifier, SIGKILL); listener.waitUntilExit() }
            // Deleting a namespace deletes its ends of the veth pairs, and so the pairs.
            for namespace in created { _ = try? Command.runBlocking(ip, ["netns", "del", namespace]) }
        }
        for role in roles {
            // The suite's prerequisites hold, so a namespace that cannot be made fails the test.
            try run(ip, ["netns", "add", namespace(role)])
            created.append(namespace(role))
            try run(ip, ["-n", namespace(role), "link", "set", "lo", "up"])
            // Routers answer every probe: no ICMP rate limit in our own namespaces.
            try run(ip, ["netns", "exec", namespace(role), "sysctl", "-q", "-w", "net.ipv4.icmp_ratelimit=0"])
        }
        for link in 1...4 {
            let (left, right) = (namespace(roles[link - 1]), namespace(roles[link]))
            let (leftDevice, rightDevice) = ("pt\(pid % 100_000)l\(link)", "pt\(pid % 100_000)r\(link)")
            // Both ends are made inside the namespaces: nothing appears in the host's.
            try run(ip, ["-n", left, "link", "add", leftDevice, "type", "veth", "peer", "name", rightDevice, "netns", right])
            try run(ip, ["-n", left, "addr", "add", "\(address(link: link, end: 1))/24", "dev", leftDevice])
            try run(ip, ["-n", right, "addr", "add", "\(address(link: link, end: 2))/24", "dev", rightDevice])
            try run(ip, ["-n", left, "link", "set", leftDevice, "up"])
            try run(ip, ["-n", right, "link", "set", rightDevice, "up"])
        }
        for router in ["r1", "r2", "r3"] {
            try run(ip, ["netns", "exec", namespace(router), "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
        }
        // Towards dst, each hop's next router; back towards src, the previous one.
        try run(ip, ["-n", namespace("src"), "route", "add", "default", "via", address(link: 1, end: 2)])
        try run(ip, ["-n", namespace("r1"), "route", "add", "default", "via", address(link: 2, end: 2)])
        try run(ip, ["-n", namespace("r2"), "route", "add", "\(subnet).1.0/24", "via", address(link: 2, end: 1)])
        try run(ip, ["-n", namespace("r2"), "route", "add", "\(subnet).4.0/24", "via", address(link: 3, end: 2)])
        try run(ip, ["-n", namespace("r3"), "route", "add", "default", "via", address(link: 3, end: 1)])
        try run(ip, ["-n", namespace("dst"), "route", "add", "default", "via", address(link: 4, end: 1)])

        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip)
        process.arguments = [
            "netns", "exec", namespace("dst"), python, "-c",
            """
            import signal, socket
            signal.pthread_sigmask(signal.SIG_SETMASK, [])
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("\(target)", \(tcpPort)))
            s.listen(64)
            while True:
                c, _ = s.accept()
                c.close()
            """,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        listener = process
        var listening = false
        for _ in 0..<50 where !listening {
            listening = (try? Command.runBlocking(ip, ["netns", "exec", namespace("dst"), "ss", "-Htln", "sport", "=", ":\(tcpPort)"]))?.stdout.isEmpty == false
            if !listening { usleep(100_000) }
        }
        try #require(listening, "the TCP listener in dst never started")

        try body(
            { arguments in
                let result = try Command.runBlocking(ip, ["netns", "exec", namespace("src"), pingmesh, "traceroute", "--json"] + arguments + [target])
                guard [0, 1].contains(result.status) else {
                    throw Failure(description: "pingmesh traceroute \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
                }
                return try JSONDecoder().decode(TracerouteResult.self, from: Data(result.stdout.utf8))
            },
            { role, rules in try run(ip, ["netns", "exec", namespace(role), nft, "-f", "-"], stdin: rules) }
        )
    }

    static func arguments(_ transport: String) -> [String] {
        ["--\(transport)", "--port", "\(transport == "tcp" ? tcpPort : udpPort)", "--probes", "2", "--timeout-ms", "500", "--max-hops", "10"]
    }

    @Test("tcp and udp: the target at hop 4, the routers at hops 1-3; with r2 dropping what it forwards to dst, loss starts at hop 3")
    func chain() throws {
        try Self.withChain { traceroute, nft in
            let routers = [Self.address(link: 1, end: 2), Self.address(link: 2, end: 2), Self.address(link: 3, end: 2)]
            for transport in ["tcp", "udp"] {
                let result = try traceroute(Self.arguments(transport) + ["--source-port", "41000", "--source-port", "41001"])
                print("\(transport) traceroute: \(result.paths.map { $0.hops.map { $0.address ?? "*" } })")
                #expect(result.paths.map(\.sourcePort) == [41_000, 41_001])
                for path in result.paths {
                    #expect(path.reachedDestination && path.lossStartsAtHop == nil, "\(transport): \(path)")
                    #expect(path.hops.map(\.ttl) == [1, 2, 3, 4], "\(transport): \(path)")
                    #expect(path.hops.map(\.address) == routers + [Self.target], "\(transport): \(path)")
                    #expect(path.hops.map(\.isDestination) == [false, false, false, true], "\(transport): \(path)")
                    #expect(path.hops.allSatisfy { $0.received == 2 }, "\(transport): \(path)")
                }
            }
            // r2 still answers TTL 2 itself: a packet whose TTL runs out there is never forwarded,
            // so the forward hook never sees it. From TTL 3 on, r2 forwards -- into the drop.
            try nft(
                "r2",
                """
                table inet pmtrace {
                  chain forward {
                    type filter hook forward priority 0; policy accept;
                    ip daddr \(Self.target) drop
                  }
                }
                """)
            for transport in ["tcp", "udp"] {
                let result = try traceroute(Self.arguments(transport))
                let path = try #require(result.paths.first)
                print("\(transport) traceroute with r2 dropping: \(path.hops.map { $0.address ?? "*" }), loss from hop \(path.lossStartsAtHop.map(String.init) ?? "none")")
                #expect(!path.reachedDestination, "\(transport): \(path)")
                #expect(path.lossStartsAtHop == 3, "\(transport): \(path)")
                #expect(path.hops.prefix(2).map(\.address) == Array(routers.prefix(2)), "\(transport): \(path)")
                // Five silent hops past the last that answered (2), then the run gives up: 3...7.
                #expect(path.hops.map(\.ttl) == Array(1...7), "\(transport): \(path)")
                #expect(path.hops.dropFirst(2).allSatisfy { $0.address == nil && $0.received == 0 }, "\(transport): \(path)")
            }
        }
    }
}
