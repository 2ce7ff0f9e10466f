import Foundation
import NIOCore
import PingmeshModel
import PingmeshTestSupport

@testable import PingmeshProbe

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

    static var executable: String? {
        Command.which("chronyd") ?? ["/usr/sbin/chronyd", "/sbin/chronyd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A running chronyd, or nil (with the reason printed) when it is not installed or never answers.
    static func start() async throws -> Chronyd? {
        guard let executable else {
            print("skipped: chronyd not found (apt-get install chrony); scripts/setup.sh installs it")
            return nil
        }
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
            print("chronyd on port \(port) did not answer: \(process.logTail(5))")
            await server.stop()
        }
        print("skipped: chronyd did not come up on loopback")
        return nil
    }

    func address() throws -> SocketAddress { try SocketAddress(ipAddress: "127.0.0.1", port: port) }

    /// Polls with a real request until one is answered (bounded: 5 s).
    private func answers() async -> Bool {
        guard let address = try? address() else { return false }
        for _ in 0..<25 {
            if !process.process.isRunning { return false }
            if await NTPProber().probe(ProbeRequest(address: address, timeout: .milliseconds(200), delay: .seconds(1))).result == .ok {
                return true
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    func stop() async {
        await ChildServer.kill(process)
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { ChildServer.killNow(process) }
}
