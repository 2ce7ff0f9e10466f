import Foundation
import NIOCore
import PingmeshTestSupport

/// A chronyd serving time from this machine's clock (`local stratum 8`, no sources, the system
/// clock left alone with -x) on a loopback port, run in the foreground as a child.
final class Chronyd: Sendable {
    let port: Int
    private let process: BackgroundProcess
    private let directory: URL

    private init(port: Int, process: BackgroundProcess, directory: URL) {
        self.port = port
        self.process = process
        self.directory = directory
    }

    /// A running chronyd. Throws when it does not come up: tests that start one carry
    /// `.requires(.tool(.chronyd))`, so by then the program is there and a server that never
    /// answers is a failure.
    static func start() async throws -> Chronyd {
        let executable = try Tool.chronyd.path()
        var failures: [String] = []
        // A random port may be taken; a few tries.
        for _ in 0..<3 {
            let port = Int.random(in: 20_000...60_000)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chronyd-\(port)-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let config = directory.appendingPathComponent("chrony.conf")
            try """
            port \(port)
            bindaddress 127.0.0.1
            allow 127.0.0.1
            local stratum 8
            cmdport 0
            pidfile \(directory.path)/chronyd.pid
            driftfile \(directory.path)/drift

            """.write(to: config, atomically: true, encoding: .utf8)
            // -u: stay the user we are. As root chronyd would drop to its own user, which cannot
            // write the temporary directory; -x: never touch the system clock.
            let process = try BackgroundProcess(
                executable, ["-d", "-x", "-u", NSUserName(), "-f", config.path],
                logPath: directory.appendingPathComponent("chronyd.log").path)
            let server = Chronyd(port: port, process: process, directory: directory)
            if await server.answers() { return server }
            failures.append("port \(port): \(process.logTail(5))")
            await server.stop()
        }
        throw ChildServer.DidNotStart(description: "chronyd did not serve time on loopback: \(failures.joined(separator: "; "))")
    }

    func address() throws -> SocketAddress { try SocketAddress(ipAddress: "127.0.0.1", port: port) }

    /// Waits until it serves time (bounded: 5 s): a 48-byte client packet from a plain socket,
    /// answered by a server packet that echoes its transmit time and says it is synchronised.
    /// Whether chronyd is up must not depend on the NTP prober the tests examine.
    private func answers() async -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let nonce = (0..<8).map { _ in UInt8.random(in: 0...255) }
            let request = Self.clientPacket(transmit: nonce)
            let reply = await UDPExchange.reply(
                host: "127.0.0.1", port: port, request: request, timeout: .milliseconds(200), accept: { Self.isReply($0, to: nonce) })
            if let reply, Self.isSynchronised(reply) { return true }
            guard process.process.isRunning, ContinuousClock.now < deadline else { return false }
            // Refused at once until chronyd has bound its port, or unsynchronised for its first
            // moments: a short pause before asking again.
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// RFC 5905: LI 0, version 4, mode 3 (client), the transmit timestamp (bytes 40-47) an
    /// arbitrary nonce the server must return as the origin timestamp.
    static func clientPacket(transmit: [UInt8]) -> [UInt8] {
        var packet = [UInt8](repeating: 0, count: 48)
        packet[0] = 0 << 6 | 4 << 3 | 3
        packet.replaceSubrange(40..<48, with: transmit)
        return packet
    }

    /// A server packet (mode 4) whose origin timestamp (bytes 24-31) is our transmit time.
    static func isReply(_ bytes: [UInt8], to transmit: [UInt8]) -> Bool {
        bytes.count >= 48 && bytes[0] & 0x7 == 4 && Array(bytes[24..<32]) == transmit
    }

    /// Leap indicator other than 3 (alarm) and a stratum between 1 and 15.
    static func isSynchronised(_ bytes: [UInt8]) -> Bool {
        bytes[0] >> 6 != 3 && (1...15).contains(bytes[1])
    }

    func stop() async {
        await ChildServer.kill(process)
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { ChildServer.killNow(process) }
}
