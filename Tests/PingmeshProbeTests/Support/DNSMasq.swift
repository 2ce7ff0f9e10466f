import Foundation
import NIOCore
import PingmeshModel
import PingmeshTestSupport

@testable import PingmeshProbe

/// A dnsmasq serving a small test zone on a loopback port, run in the foreground as a child.
final class DNSMasq: Sendable {
    let port: Int
    /// Whether it also listens on ::1 (not every machine has IPv6 loopback).
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

    static var executable: String? {
        Command.which("dnsmasq") ?? ["/usr/sbin/dnsmasq", "/sbin/dnsmasq"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A running dnsmasq, or nil (with the reason printed) when it is not installed or never answers.
    static func start() async throws -> DNSMasq? {
        guard let executable else {
            print("skipped: dnsmasq not found (apt-get install dnsmasq-base); scripts/setup.sh installs it")
            return nil
        }
        // With ::1 first; a machine without IPv6 loopback gets a v4-only server.
        for ipv6 in [true, false] {
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
                print("dnsmasq on port \(port) (ipv6: \(ipv6)) did not answer: \(process.logTail(5))")
            }
        }
        print("skipped: dnsmasq did not come up on loopback")
        return nil
    }

    func address(_ host: String = "127.0.0.1") throws -> SocketAddress { try SocketAddress(ipAddress: host, port: port) }

    /// Polls with a real query until one is answered (bounded: 5 s).
    private func answers() async -> Bool {
        guard let address = try? address() else { return false }
        let request = DNSMasq.request(address, DNSProbeOptions(queryName: "www.pingmesh.test"), timeout: .milliseconds(200))
        for _ in 0..<25 {
            if !process.process.isRunning { return false }
            if await DNSProber().probe(request).result == .ok { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
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
