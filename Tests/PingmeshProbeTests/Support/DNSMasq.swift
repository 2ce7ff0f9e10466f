import Foundation
import NIOCore
import PingmeshModel
import PingmeshTestSupport

@testable import PingmeshProbe

/// A dnsmasq serving a small test zone on a loopback port, run in the foreground as a child.
final class DNSMasq: Sendable {
    let port: Int
    /// Whether it also listens on ::1: wherever the machine has IPv6 loopback.
    let servesIPv6: Bool
    private let process: BackgroundProcess

    /// The zone: `www` has an A and an AAAA, `alias` is a CNAME to it, `_probe._tcp` an SRV, `txt`
    /// a TXT, the apex an MX, and `big` more TXT than a 512-byte UDP reply holds. `--local` makes
    /// other names in the zone NXDOMAIN instead of REFUSED (there is no upstream).
    static let zone =
        [
            "--host-record=www.pingmesh.test,10.0.0.1,fd00::1",
            "--cname=alias.pingmesh.test,www.pingmesh.test",
            "--srv-host=_probe._tcp.pingmesh.test,www.pingmesh.test,9301,10,5",
            "--txt-record=txt.pingmesh.test,v=pingmesh1",
            "--mx-host=pingmesh.test,mail.pingmesh.test,10",
            "--local=/pingmesh.test/",
        ] + (1...4).map { "--txt-record=big.pingmesh.test,\(String(repeating: Character(String($0)), count: 200))" }

    private init(port: Int, servesIPv6: Bool, process: BackgroundProcess) {
        self.port = port
        self.servesIPv6 = servesIPv6
        self.process = process
    }

    /// A running dnsmasq, listening on ::1 as well wherever this machine has IPv6 loopback.
    /// Throws when it does not come up: tests that start one carry `.requires(.tool(.dnsmasq))`,
    /// so by then the program is there and a server that never answers is a failure.
    static func start() async throws -> DNSMasq {
        let executable = try Tool.dnsmasq.path()
        let ipv6 = Prerequisite.ipv6Loopback.isMet
        var failures: [String] = []
        // A random port may be taken; a few tries.
        for _ in 0..<3 {
            let port = Int.random(in: 20_000...60_000)
            let listen = ["--listen-address=127.0.0.1"] + (ipv6 ? ["--listen-address=::1"] : [])
            let arguments =
                [
                    "--no-daemon", "--port=\(port)", "--bind-interfaces", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
                ] + listen + zone
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("dnsmasq-\(port).log").path
            let process = try BackgroundProcess(executable, arguments, logPath: log)
            let server = DNSMasq(port: port, servesIPv6: ipv6, process: process)
            if await server.answers() { return server }
            await ChildServer.kill(process)
            failures.append("port \(port): \(process.logTail(5))")
        }
        throw ChildServer.DidNotStart(
            description: "dnsmasq did not answer on loopback (::1 too: \(ipv6)): \(failures.joined(separator: "; "))")
    }

    func address(_ host: String = "127.0.0.1") throws -> SocketAddress { try SocketAddress(ipAddress: host, port: port) }

    /// Waits until every address it listens on answers a query (bounded: 5 s). The query is
    /// built by hand and sent from a plain socket, and any reply with its id counts: whether
    /// dnsmasq is up must not depend on the DNS prober the tests examine.
    private func answers() async -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        for host in ["127.0.0.1"] + (servesIPv6 ? ["::1"] : []) {
            let id = UInt16.random(in: 0...UInt16.max)
            let query = Self.query(id: id, name: "www.pingmesh.test")
            let isReply: @Sendable ([UInt8]) -> Bool = { Self.isReply($0, to: id) }
            while await UDPExchange.reply(host: host, port: port, request: query, timeout: .milliseconds(200), accept: isReply) == nil {
                guard process.process.isRunning, ContinuousClock.now < deadline else { return false }
                // Refused at once until dnsmasq has bound its port: a short pause before asking again.
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        return true
    }

    /// A standard query for `name`'s A record with recursion desired (RFC 1035 4.1).
    static func query(id: UInt16, name: String) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            bytes.append(UInt8(label.utf8.count))
            bytes += Array(label.utf8)
        }
        return bytes + [0, 0, 1, 0, 1]
    }

    /// A response (QR set) carrying the query's id.
    static func isReply(_ bytes: [UInt8], to id: UInt16) -> Bool {
        bytes.count >= 12 && UInt16(bytes[0]) << 8 | UInt16(bytes[1]) == id && bytes[2] & 0x80 != 0
    }

    static func request(_ address: SocketAddress, _ options: DNSProbeOptions, timeout: Duration = .seconds(2)) -> ProbeRequest {
        // A delay far above any loopback RTT: a loaded machine must not turn ok into slow.
        var request = ProbeRequest(address: address, timeout: timeout, delay: .seconds(1))
        request.dns = options
        return request
    }

    func stop() async { await ChildServer.kill(process) }

    deinit { ChildServer.killNow(process) }
}
