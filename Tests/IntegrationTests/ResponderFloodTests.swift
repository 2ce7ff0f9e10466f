import Foundation
import NIOCore
import NIOPosix
import PingmeshTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Hostile input on an agent's responder ports: a real `pingmesh agent` process has its
/// TCP responder flooded with connections far beyond its cap and payloads above the 64 KiB cap,
/// its UDP responder with oversized and garbage datagrams, and its `/ping` asked for gigabytes.
/// Meanwhile it must keep probing another agent, keep its memory bounded and stay alive, and
/// once the flood stops its responder answers again.
@Suite("Responder flood", .serialized)
struct ResponderFloodTests {
    let group = MultiThreadedEventLoopGroup.singleton
    static let victimHost = "127.0.97.2"
    static let peerHost = "127.0.97.3"

    func get(_ url: String) async -> (status: Int, body: String)? {
        guard let (data, response) = try? await URLSession.shared.data(from: URL(string: url)!) else { return nil }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    func sum(_ metric: String, where filter: String, in text: String) -> Double {
        text.split(separator: "\n").filter { $0.hasPrefix(metric + "{") && $0.contains(filter) }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    func residentMiB(_ pid: Int32) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return nil }
        return kib / 1024
    }

    /// An agent process probing `targets` (YAML list items) at the minimum interval.
    func startAgent(
        _ binary: String, name: String, host: String, ports: (http: Int, tcp: Int, udp: Int), targets: String, directory: String,
        extra: [String] = []
    ) throws -> BackgroundProcess {
        let pinglist = "\(directory)/\(name).yaml"
        try """
        settings: {interval: 10s, timeout: 2s}
        groups:
        \(targets)
        """.write(toFile: pinglist, atomically: true, encoding: .utf8)
        return try BackgroundProcess(
            binary,
            [
                "agent", "--pinglist", pinglist, "--name", name, "--listen", "\(host):\(ports.http)", "--tcp-listen", "\(host):\(ports.tcp)",
                "--udp-listen", "\(host):\(ports.udp)", "--log-level", "error",
            ] + extra, logPath: "\(directory)/\(name).log")
    }

    @Test(
        "connections beyond the cap, oversized payloads, UDP garbage and huge /ping sizes: caps hold, memory stays bounded, probing goes on",
        .requires(.pingmeshBinary))
    func flood() async throws {
        let binary = try PingmeshBinary.require()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-flood-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let peerPorts = (http: try await TCPResponderHelper.freePort(host: Self.peerHost), tcp: try await TCPResponderHelper.freePort(host: Self.peerHost), udp: try await TCPResponderHelper.freePort(host: Self.peerHost))
        let victimPorts = (
            http: try await TCPResponderHelper.freePort(host: Self.victimHost), tcp: try await TCPResponderHelper.freePort(host: Self.victimHost), udp: try await TCPResponderHelper.freePort(host: Self.victimHost)
        )
        let peer = try startAgent(
            binary, name: "peer", host: Self.peerHost, ports: peerPorts, targets: "  []", directory: directory)
        defer { peer.terminate() }
        let victim = try startAgent(
            binary, name: "victim", host: Self.victimHost, ports: victimPorts,
            targets: """
                  - {name: tcp, kind: tcp, targets: ['\(Self.peerHost):\(peerPorts.tcp)']}
                  - {name: udp, kind: udp, targets: ['\(Self.peerHost):\(peerPorts.udp)']}
                """,
            directory: directory, extra: ["--max-connections", "64"])
        defer { victim.terminate() }
        let metrics = "http://\(Self.victimHost):\(victimPorts.http)/metrics"
        func okProbes(_ kind: String) async -> Double {
            guard let text = await get(metrics)?.body else { return -1 }
            return sum("pingmesh_probes_total", where: "kind=\"\(kind)\",result=\"ok\"", in: text)
        }
        try await eventually(timeout: .seconds(30)) {
            let (tcp, udp) = (await okProbes("tcp"), await okProbes("udp"))
            return tcp >= 1 && udp >= 1
        }
        let pid = victim.process.processIdentifier
        let baseline = try #require(residentMiB(pid))
        let (tcpBefore, udpBefore) = (await okProbes("tcp"), await okProbes("udp"))

        // 1. 600 connections held open: the responder serves 64 and leaves the rest queued.
        var held: [any Channel] = []
        for _ in 0..<600 {
            if let channel = try? await ClientBootstrap(group: group).connect(host: Self.victimHost, port: victimPorts.tcp).get() {
                held.append(channel)
            }
        }
        // 2. 100 KiB on each of the first 40 (above the 64 KiB payload cap): those are closed.
        let oversized = ByteBuffer(repeating: 0x41, count: 100 << 10)
        for channel in held.prefix(40) { channel.writeAndFlush(oversized, promise: nil) }
        // 3. UDP: 2,000 datagrams of 60,000 bytes and 2,000 of garbage, as fast as they go.
        let udp = try await DatagramBootstrap(group: group).bind(host: Self.victimHost, port: 0).get()
        let target = try SocketAddress(ipAddress: Self.victimHost, port: victimPorts.udp)
        for index in 0..<4000 {
            let payload = index.isMultiple(of: 2) ? ByteBuffer(repeating: 0x42, count: 60_000) : ByteBuffer(string: "garbage \(index)")
            udp.write(AddressedEnvelope(remoteAddress: target, data: payload), promise: nil)
            if index.isMultiple(of: 100) { udp.flush() }
        }
        udp.flush()
        // The cap holds: with every slot taken, one more connection is queued and gets no echo.
        #expect(try await echo(host: Self.victimHost, port: victimPorts.tcp, attempts: 1) == false, "a connection beyond the cap was served")
        // The oversized senders were served first, and each was closed at the payload cap.
        var closed = 0
        for channel in held.prefix(40) {
            if (try? await withTimeout(.seconds(10)) { try await channel.closeFuture.get() }) != nil { closed += 1 }
        }
        #expect(closed == 40, "\(closed) of 40 connections sending above the payload cap were closed")
        // 4. /ping asked for a gigabyte: refused by the cap, not allocated.
        let huge = await get("http://\(Self.victimHost):\(victimPorts.http)/ping?size=1000000000")
        #expect(huge.map { (400..<500).contains($0.status) } == true, "a /ping above the payload cap is a 4xx: \(String(describing: huge?.status))")

        // While all that is held open, the agent keeps probing its peer and stays responsive.
        try await eventually(timeout: .seconds(35)) {
            let (tcp, udp) = (await okProbes("tcp"), await okProbes("udp"))
            return tcp >= tcpBefore + 2 && udp >= udpBefore + 2
        }
        let during = try #require(residentMiB(pid))
        #expect(during - baseline < 100, "RSS grew from \(baseline) MiB to \(during) MiB under the flood")
        #expect(victim.process.isRunning, "the agent died under the flood; log:\n\(victim.logTail())")

        // Once the flood stops, the responder answers a new connection with an echo.
        for channel in held { try? await channel.close() }
        try? await udp.close()
        let echoed = try await echo(host: Self.victimHost, port: victimPorts.tcp)
        #expect(echoed, "the TCP responder echoes again after the flood")
        #expect(victim.process.isRunning)
        print("flood: RSS \(Int(baseline)) MiB before, \(Int(during)) MiB during; held \(held.count) connections")
    }

    /// Connects, sends 32 bytes and waits (bounded) for them to come back.
    func echo(host: String, port: Int, attempts: Int = 40) async throws -> Bool {
        for _ in 0..<attempts {
            let message = String(repeating: "e", count: 32)
            let answer = try? await Command.onOwnThread { () throws -> String? in
                let socket = BlockingSocket()
                try socket.connect(host: host, port: port)
                socket.send(message)
                return socket.receive(timeout: .seconds(2))
            }
            if answer == message { return true }
            if attempts > 1 { try await Task.sleep(for: .milliseconds(250)) }
        }
        return false
    }

    struct TimedOut: Error {}

    func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw TimedOut()
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    func eventually(timeout: Duration, _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(await condition(), "condition not met within \(timeout)")
    }
}
