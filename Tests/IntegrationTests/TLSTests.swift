import AsyncHTTPClient
import Logging
import Foundation
import NIOPosix
import NIOSSL
import PingmeshHTTPSupport
import PingmeshTestSupport
import Testing

@testable import PingmeshCollector

/// HTTPS and mutual TLS on the servers, with certificates the test makes with openssl: a fleet CA,
/// server and client certificates it signed, an expired one and a key that belongs to another.
@Suite("TLS", .serialized, .requires(.tool(.openssl)))
struct TLSTests {
    /// A scratch directory of PEM files made by openssl.
    final class Certificates: Sendable {
        let directory: String

        init() async throws {
            let openssl = try Tool.openssl.path()
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-tls-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: "\(directory)/ext", atomically: true, encoding: .utf8)
            func run(_ arguments: [String]) async throws {
                let result = try await Command.run(openssl, arguments)
                guard result.status == 0 else { throw TLSSetupError("openssl \(arguments.joined(separator: " ")): \(result.stderr)") }
            }
            let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
            try await run(["req", "-x509"] + curve + ["-days", "2", "-subj", "/CN=fleet-ca", "-keyout", path("ca.key"), "-out", path("ca.pem")])
            try await run(["req", "-x509"] + curve + ["-days", "2", "-subj", "/CN=other-ca", "-keyout", path("other-ca.key"), "-out", path("other-ca.pem")])
            for (name, days, ca) in [("server", "1", "ca"), ("renewed", "1", "ca"), ("client", "1", "ca"), ("expired", "-1", "ca"), ("stranger", "1", "other-ca")] {
                try await run(["req"] + curve + ["-subj", "/CN=\(name)", "-keyout", path("\(name).key"), "-out", path("\(name).csr")])
                try await run([
                    "x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(ca).pem"), "-CAkey", path("\(ca).key"), "-CAcreateserial",
                    "-days", days, "-extfile", path("ext"), "-out", path("\(name).pem"),
                ])
            }
        }

        func path(_ name: String) -> String { "\(directory)/\(name)" }
        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    @Test("bad TLS files are refused at start, each error naming the file and what is wrong", .requires(.pingmeshBinary))
    func badFiles() async throws {
        let certificates = try await Certificates()
        defer { certificates.remove() }
        let path = certificates.path
        let cases: [(ServerTLSFiles, String)] = [
            (.init(certificate: path("missing.pem"), key: path("server.key")), "\(path("missing.pem")): the certificate file cannot be read"),
            (.init(certificate: path("server.pem"), key: path("client.key")), "\(path("client.key")): the key does not match the certificate"),
            (.init(certificate: path("expired.pem"), key: path("expired.key")), "\(path("expired.pem")): the certificate expired at"),
            (.init(certificate: path("ext"), key: path("server.key")), "\(path("ext")): "),
            (.init(certificate: path("server.pem"), key: path("server.key"), clientCA: path("nope.pem")), "\(path("nope.pem")): the client CA file cannot be read"),
        ]
        for (files, expected) in cases {
            do {
                _ = try ServerTLSContext(files: files)
                Issue.record("accepted \(files)")
            } catch {
                #expect(error.description.hasPrefix(expected), "\(error.description)")
            }
        }
        // Through the command line: exit status 64 (a usage error) and the same message.
        let binary = try PingmeshBinary.require()
        let result = try await Command.run(
            binary, ["controller", "--listen", "127.0.0.1:0", "--tls-cert", path("expired.pem"), "--tls-key", path("expired.key")])
        #expect(result.status == 64 && result.stderr.contains("the certificate expired at"), "\(result.status) \(result.stderr)")
        let half = try await Command.run(binary, ["collector", "--store", "sqlite::memory:", "--tls-cert", path("server.pem")])
        #expect(half.status == 64 && half.stderr.contains("--tls-key: required with --tls-cert"), "\(half.stderr)")
    }

    @Test(
        "a controller on mutual TLS: a fleet client gets its pinglist, clients without a fleet certificate are refused, an agent pulls over HTTPS, and a renewed certificate is served without a restart",
        .requires(.pingmeshBinary))
    func controllerMutualTLS() async throws {
        let certificates = try await Certificates()
        defer { certificates.remove() }
        let binary = try PingmeshBinary.require()
        let path = certificates.path
        // The served files are copies, replaced later by the renewed certificate.
        try FileManager.default.copyItem(atPath: path("server.pem"), toPath: path("live.pem"))
        try FileManager.default.copyItem(atPath: path("server.key"), toPath: path("live.key"))
        try """
        datacenters:
          - name: dc1
            podsets: [{name: ps1, pods: [{name: pod1, servers: [{name: s1, ipv4: 127.0.86.1}, {name: s2, ipv4: 127.0.86.2}]}]}]
        """.write(toFile: path("topology.yaml"), atomically: true, encoding: .utf8)
        let port = try await TCPResponderHelper.freePort(host: "127.0.0.1")
        let controller = try BackgroundProcess(
            binary,
            [
                "controller", "--topology", path("topology.yaml"), "--listen", "127.0.0.1:\(port)", "--tls-cert", path("live.pem"),
                "--tls-key", path("live.key"), "--tls-client-ca", path("ca.pem"), "--log-level", "notice",
            ], logPath: path("controller.log"))
        defer { controller.terminate() }
        let url = "https://127.0.0.1:\(port)/v1/pinglist/s1"

        let fleet = try Self.client(ClientTLSFiles(ca: path("ca.pem"), certificate: path("client.pem"), key: path("client.key")))
        var status = 0
        for _ in 0..<60 where status != 200 {
            status = Int((try? await fleet.execute(HTTPClientRequest(url: url), timeout: .seconds(5)))?.status.code ?? 0)
            if status != 200 { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(status == 200, "a fleet client's pull: \(status); log:\n\(controller.logTail())")

        // No client certificate, or one from another CA: the handshake fails, no answer at all.
        for files in [ClientTLSFiles(ca: path("ca.pem")), ClientTLSFiles(ca: path("ca.pem"), certificate: path("stranger.pem"), key: path("stranger.key"))] {
            let outsider = try Self.client(files)
            let answer = try? await outsider.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
            #expect(answer == nil, "a client without a fleet certificate got \(String(describing: answer?.status))")
            try? await outsider.shutdown()
        }
        // A client that does not trust the fleet CA refuses the server.
        let untrusting = try Self.client(ClientTLSFiles(ca: path("other-ca.pem"), certificate: path("client.pem"), key: path("client.key")))
        #expect((try? await untrusting.execute(HTTPClientRequest(url: url), timeout: .seconds(5))) == nil)
        try? await untrusting.shutdown()

        // A real agent pulls its pinglist over mutual TLS.
        let agentPort = try await TCPResponderHelper.freePort(host: "127.0.0.1")
        let agent = try BackgroundProcess(
            binary,
            [
                "agent", "--controller", "https://127.0.0.1:\(port)", "--name", "s1", "--no-register", "--listen", "127.0.86.1:\(agentPort)",
                "--tcp-listen", "127.0.86.1:0", "--udp-listen", "off", "--ca-file", path("ca.pem"), "--client-cert", path("client.pem"),
                "--client-key", path("client.key"), "--log-level", "warning",
            ], logPath: path("agent.log"))
        defer { agent.terminate() }
        var targets = ""
        for _ in 0..<80 where !targets.contains("pingmesh_agent_targets 1") {
            targets = (try? await HTTPJSONText.get("http://127.0.86.1:\(agentPort)/metrics")) ?? ""
            if !targets.contains("pingmesh_agent_targets 1") { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(targets.contains("pingmesh_agent_targets 1"), "the agent did not get its pinglist over TLS; log:\n\(agent.logTail())")

        // The command-line tools reach it with the same settings, and not without a certificate.
        let listing = try await Command.run(
            binary,
            ["agents", "--controller", "https://127.0.0.1:\(port)", "--ca-file", path("ca.pem"), "--client-cert", path("client.pem"), "--client-key", path("client.key")])
        // (Exit status 1: s2 has no agent, so it is listed as stale.)
        #expect(listing.stdout.contains("2 agents") && listing.stdout.contains("live   s1"), "\(listing.stdout)\(listing.stderr)")
        let refused = try await Command.run(binary, ["agents", "--controller", "https://127.0.0.1:\(port)", "--ca-file", path("ca.pem")])
        #expect(refused.status == 1 && refused.stderr.contains("cannot reach the controller"), "\(refused.stderr)")

        // The collector's traceroute requests (`collector --controller https://... --ca-file
        // --client-cert --client-key`) reach it too, and not without a certificate.
        let requester = TracerouteRequester(
            configuration: .init(
                controller: "https://127.0.0.1:\(port)",
                tls: try ClientTLSFiles(ca: path("ca.pem"), certificate: path("client.pem"), key: path("client.key")).configuration()),
            logger: Logger(label: "test"))
        let tasks = try await requester.send(.GET, "/v1/tasks")
        #expect(String(decoding: tasks, as: UTF8.self).hasPrefix("{"), "\(String(decoding: tasks, as: UTF8.self))")
        let anonymous = TracerouteRequester(
            configuration: .init(controller: "https://127.0.0.1:\(port)", tls: try ClientTLSFiles(ca: path("ca.pem")).configuration()),
            logger: Logger(label: "test"))
        await #expect(throws: (any Error).self) { _ = try await anonymous.send(.GET, "/v1/tasks") }

        // Renewal: new files in place; new connections get the new certificate within the
        // controller's check period (10 s), with no restart.
        #expect(try await Self.servedSubject(port: port, certificates: certificates).contains("CN = server"))
        try FileManager.default.removeItem(atPath: path("live.pem"))
        try FileManager.default.removeItem(atPath: path("live.key"))
        try FileManager.default.copyItem(atPath: path("renewed.key"), toPath: path("live.key"))
        try FileManager.default.copyItem(atPath: path("renewed.pem"), toPath: path("live.pem"))
        var subject = ""
        for _ in 0..<30 where !subject.contains("CN = renewed") {
            try await Task.sleep(for: .seconds(1))
            subject = try await Self.servedSubject(port: port, certificates: certificates)
        }
        #expect(subject.contains("CN = renewed"), "served after renewal: \(subject); log:\n\(controller.logTail())")
        #expect(controller.process.isRunning)
        #expect((try? await fleet.execute(HTTPClientRequest(url: url), timeout: .seconds(5)))?.status.code == 200)
        try? await fleet.shutdown()
    }

    static func client(_ files: ClientTLSFiles) throws -> HTTPClient {
        HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: try files.configuration()))
    }

    /// The subject of the certificate the server presents now, as `openssl s_client` prints it.
    static func servedSubject(port: Int, certificates: Certificates) async throws -> String {
        let openssl = try Tool.openssl.path()
        let result = try await Command.run(
            openssl,
            [
                "s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", certificates.path("ca.pem"), "-cert", certificates.path("client.pem"),
                "-key", certificates.path("client.key"),
            ], stdin: Data())
        return result.stdout.split(separator: "\n").first { $0.hasPrefix("subject=") }.map(String.init) ?? result.stderr
    }
}

/// Plain-HTTP text GET (the agent's metrics).
enum HTTPJSONText {
    static func get(_ url: String) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        return String(buffer: try await response.body.collect(upTo: 1 << 22))
    }
}
