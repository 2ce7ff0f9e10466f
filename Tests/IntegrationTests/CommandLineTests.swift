import Foundation
import NIOCore
import NIOPosix
import PingmeshAgent
import PingmeshTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The `pingmesh` binary as an operator runs it: exit codes, messages, signals.
@Suite("pingmesh command line", .requires(.pingmeshBinary))
struct CommandLineTests {
    private func temporaryFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-cli-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("agents and fault: a collector that does not answer is exit 1 with a message naming it; bad options are a usage error")
    func collectorTools() async throws {
        let binary = try PingmeshBinary.require()
        let agents = try await Command.run(binary, ["agents", "--collector", "http://127.0.0.1:1"])
        #expect(agents.status == 1 && agents.stderr.contains("cannot reach the collector at http://127.0.0.1:1"), "\(agents.stderr)")
        let fault = try await Command.run(binary, ["fault", "list", "--collector", "http://127.0.0.1:1"])
        #expect(fault.status == 1 && fault.stderr.contains("cannot reach the collector"), "\(fault.stderr)")
        let bad = try await Command.run(binary, ["agents", "--stale", "0"])
        #expect(bad.status == 64 && bad.stderr.contains("--stale: 0 must be above 0 seconds"), "\(bad.stderr)")
    }

    @Test("--insecure-open-admin with --tokens, and --token with --token-file, are usage errors naming the flag")
    func adminAccessFlags() async throws {
        let binary = try PingmeshBinary.require()
        let tokens = try temporaryFile("tokens:\n  - {token: admin-token-0123456789, scope: admin}\n")
        defer { try? FileManager.default.removeItem(atPath: tokens) }
        for server in ["controller", "collector"] {
            let both = try await Command.run(
                binary, [server, "--tokens", tokens, "--insecure-open-admin"] + (server == "collector" ? ["--store", "sqlite::memory:"] : []))
            #expect(both.status == 64 && both.stderr.contains("--insecure-open-admin: not with --tokens"), "\(server): \(both.stderr)")
        }
        let twice = try await Command.run(binary, ["fault", "list", "--token", "abc", "--token-file", tokens])
        #expect(twice.status == 64 && twice.stderr.contains("--token-file: not with --token"), "\(twice.stderr)")
    }

    @Test("upgrade-key: generate writes a key pair, sign prints a verifying signature; --self-upgrade without a public key is refused")
    func upgradeKeys() async throws {
        let binary = try PingmeshBinary.require()
        let directory = try ScratchDirectory.make("pingmesh-upgrade-key")
        defer { ScratchDirectory.remove(directory) }
        let generate = try await Command.run(binary, ["upgrade-key", "generate", "--out", "\(directory)/release"])
        #expect(generate.status == 0, "\(generate.stderr)")
        let again = try await Command.run(binary, ["upgrade-key", "generate", "--out", "\(directory)/release"])
        #expect(again.status == 64 && again.stderr.contains("exists; a key is never overwritten"), "\(again.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: "\(directory)/release")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let sign = try await Command.run(binary, ["upgrade-key", "sign", binary, "--key", "\(directory)/release", "--version", "9.9.9"])
        #expect(sign.status == 0, "\(sign.stderr)")
        let fields = Dictionary(
            uniqueKeysWithValues: sign.stdout.split(separator: "\n").compactMap { line -> (String, String)? in
                let parts = line.split(separator: " ", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0].dropLast()), String(parts[1])) : nil
            })
        let key = try UpgradeKeyFile.readPublicKey(path: "\(directory)/release.pub")
        #expect(fields["sha256"] == (try UpgradeSignature.sha256(ofFile: binary)))
        #expect(
            UpgradeSignature.verify(signature: fields["signature"] ?? "", version: "9.9.9", sha256: fields["sha256"] ?? "", key: key),
            "\(sign.stdout)")
        let wrongKey = try await Command.run(binary, ["upgrade-key", "sign", binary, "--key", "\(directory)/release.pub", "--version", "1"])
        #expect(wrongKey.status == 64 && wrongKey.stderr.contains("--key:") && wrongKey.stderr.contains("is not a private key"), "\(wrongKey.stderr)")

        let unsigned = try await Command.run(binary, ["agent", "--controller", "http://127.0.0.1:1", "--no-register", "--self-upgrade"])
        #expect(unsigned.status == 64 && unsigned.stderr.contains("--self-upgrade: needs --upgrade-public-key FILE"), "\(unsigned.stderr)")
        let badKey = try await Command.run(
            binary, ["agent", "--controller", "http://127.0.0.1:1", "--no-register", "--self-upgrade", "--upgrade-public-key", "\(directory)/release"])
        #expect(badKey.status == 64 && badKey.stderr.contains("--upgrade-public-key:"), "\(badKey.stderr)")
    }

    @Test("check-config: examples/topology.yaml is a valid topology; a wrong guess says what it assumed, and --kind overrides it")
    func checkConfigKinds() async throws {
        let binary = try PingmeshBinary.require()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let example = root.appendingPathComponent("examples/topology.yaml").path
        let good = try await Command.run(binary, ["check-config", example])
        #expect(good.status == 0 && good.stdout.contains("OK (topology)") && good.stdout.contains("4 ToRs, 8 servers"), "\(good.stdout)\(good.stderr)")
        let misspelled = try temporaryFile("datacenter: []\n")
        defer { try? FileManager.default.removeItem(atPath: misspelled) }
        let guessed = try await Command.run(binary, ["check-config", misspelled])
        #expect(guessed.status == 1 && guessed.stderr.contains("(checked as a pinglist, guessed from its top-level keys"), "\(guessed.stderr)")
        let told = try await Command.run(binary, ["check-config", misspelled, "--kind", "topology"])
        #expect(told.status == 1 && told.stderr.contains("datacenter: unknown field") && told.stderr.contains("datacenters"), "\(told.stderr)")
        #expect(!told.stderr.contains("guessed"))
        let asPinglist = try await Command.run(binary, ["check-config", example, "--kind", "pinglist"])
        #expect(asPinglist.status == 1 && asPinglist.stderr.contains("unknown field"), "\(asPinglist.stderr)")
    }

    @Test("check-config: 0 and a summary for a good file, 1 and every problem for a bad one")
    func checkConfig() async throws {
        let binary = try PingmeshBinary.require()
        let good = try temporaryFile("groups: [{name: g, targets: ['10.0.0.1:9301', '10.0.0.2']}]")
        let result = try await Command.run(binary, ["check-config", good])
        #expect(result.status == 0)
        #expect(result.stdout.contains("OK (pinglist, native format"))
        #expect(result.stdout.contains("targets: 2 in 1 group(s) (2 tcp)"))

        let bad = try temporaryFile("settings: {interval: 2s, payload_bytes: 99999}\ngroups: [{name: g, targets: ['10.0.0.1:99999']}]")
        let failed = try await Command.run(binary, ["check-config", bad])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("\(bad): settings.interval: 2s is below the minimum of 10s"))
        #expect(failed.stderr.contains("\(bad): settings.payload_bytes: 99999 is above the maximum"))
        #expect(failed.stderr.contains("\(bad): groups[0].targets[0].port: 99999 is outside 1...65535"))

        let missing = try await Command.run(binary, ["check-config", "/nonexistent.yaml"])
        #expect(missing.status == 1 && missing.stderr.contains("cannot read the file"))
    }

    @Test("probe: a refused target exits 1 with its class; bad arguments exit 2 naming the argument")
    func probe() async throws {
        let binary = try PingmeshBinary.require()
        let port = try await TCPResponderHelper.freePort(host: "127.0.91.3")
        let refused = try await Command.run(binary, ["probe", "tcp", "127.0.91.3:\(port)", "--json"])
        #expect(refused.status == 1)
        let document = try JSONSerialization.jsonObject(with: Data(refused.stdout.utf8)) as? [String: Any]
        #expect(document?["loss_ratio"] as? Double == 1)
        #expect(((document?["probes"] as? [[String: Any]])?.first?["result"] as? String) == "refused")

        let badKind = try await Command.run(binary, ["probe", "ftp", "127.0.0.1:1"])
        #expect(badKind.status == 2 && badKind.stderr.contains("KIND: 'ftp' is not a probe kind"))
        let badCount = try await Command.run(binary, ["probe", "tcp", "127.0.0.1:1", "--count", "0"])
        #expect(badCount.status == 2 && badCount.stderr.contains("--count"))
    }

    @Test("probe icmp --json: the RTT ends at the kernel's receive stamp, the user-space RTT of the same reply beside it", .requires(.icmp))
    func probeKernelTimestamps() async throws {
        let binary = try PingmeshBinary.require()
        let result = try await Command.run(binary, ["probe", "icmp", "127.0.0.1", "--count", "1", "--json"])
        try #require(result.status == 0, "\(result.stderr.prefix(500))")
        let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let probe = try #require((document?["probes"] as? [[String: Any]])?.first)
        let rtt = try #require(probe["rtt_seconds"] as? Double)
        let userSpace = try #require(probe["user_space_rtt_seconds"] as? Double, "no kernel receive timestamp: \(probe)")
        #expect(rtt > 0 && rtt <= userSpace)
    }

    @Test("agent: bad upload options are refused, each error naming its option")
    func agentRefusesBadUploadOptions() async throws {
        let binary = try PingmeshBinary.require()
        let good = try temporaryFile("groups: [{name: g, targets: ['127.0.0.1:9301']}]")
        let base = ["agent", "--pinglist", good, "--listen", "127.0.96.2:0", "--tcp-listen", "127.0.96.2:0"]
        let cases: [([String], String)] = [
            (["--collector", "http://127.0.0.1:9320", "--window", "45"], "--window: 45 is not one of 10, 15, 20, 30, 60"),
            (["--collector", "ftp://127.0.0.1"], "--collector: 'ftp://127.0.0.1' is not an http:// or https:// URL"),
            (["--collector", "http://127.0.0.1:9320", "--spool-max-bytes", "lots"], "--spool-max-bytes: 'lots' is not a size"),
            (["--collector", "http://127.0.0.1:9320", "--collector-token-file", "/nonexistent"], "--collector-token-file: cannot read"),
            (["--spool-dir", "/tmp/x"], "--spool-dir: only with --collector"),
        ]
        for (arguments, message) in cases {
            let result = try await Command.run(binary, base + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    @Test("agent: refuses to start on a bad pinglist, naming the field")
    func agentRefusesBadFile() async throws {
        let binary = try PingmeshBinary.require()
        let bad = try temporaryFile("settings: {payload_bytes: 100000}\ngroups: []")
        let result = try await Command.run(binary, ["agent", "--pinglist", bad, "--listen", "127.0.96.1:0", "--tcp-listen", "127.0.96.1:0"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("settings.payload_bytes"))
    }

    @Test("agent: SIGHUP reloads the file; a bad new file is rejected and the agent keeps running; SIGTERM stops it")
    func agentReload() async throws {
        let binary = try PingmeshBinary.require()
        let file = try temporaryFile("groups: [{name: g, targets: ['127.0.95.2:9301']}]")
        let port = try await TCPResponderHelper.freePort(host: "127.0.95.1")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "agent", "--pinglist", file, "--name", "cli-agent", "--listen", "127.0.95.1:\(port)", "--tcp-listen", "127.0.95.1:0",
            "--log-level", "warning",
        ]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let metricsURL = "http://127.0.95.1:\(port)/metrics"

        try await eventually { (try? await fetch(metricsURL))?.contains("pingmesh_agent_pinglist_reloads_total 1") == true }

        // SIGHUP reloads even an unchanged file.
        kill(process.processIdentifier, SIGHUP)
        try await eventually { (try? await fetch(metricsURL))?.contains("pingmesh_agent_pinglist_reloads_total 2") == true }

        // A bad new file is rejected; the agent keeps its list and keeps serving.
        try "settings: {interval: 1s}\ngroups: []".write(toFile: file, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        try await eventually { (try? await fetch(metricsURL))?.contains("pingmesh_agent_pinglist_rejected_total 1") == true }
        let after = try await fetch(metricsURL)
        #expect(after.contains("pingmesh_agent_targets 1"))
        #expect(after.contains("pingmesh_agent_pinglist_reloads_total 2"))

        kill(process.processIdentifier, SIGTERM)
        await process.exited()
        #expect(process.terminationStatus == 0, "graceful shutdown on SIGTERM")
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("new pinglist rejected"))
        #expect(log.contains("settings.interval"))
    }

    @Test("controller: SIGTERM ends the agents' task polls in flight at once and exits 0, not after their 25 s wait")
    func controllerStopsPromptly() async throws {
        let binary = try PingmeshBinary.require()
        let topology = try temporaryFile(
            "datacenters: [{name: dc1, podsets: [{name: ps1, pods: [{name: p1, servers: [{name: s1, ipv4: 127.0.96.2}, {name: s2, ipv4: 127.0.96.3}]}]}]}]")
        let port = try await TCPResponderHelper.freePort(host: "127.0.96.1")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["controller", "--topology", topology, "--listen", "127.0.96.1:\(port)", "--log-level", "warning"]
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try await eventually { (try? await fetch("http://127.0.96.1:\(port)/readyz")) != nil }
        let poll = Task { try await fetch("http://127.0.96.1:\(port)/v1/agent-tasks/s1?wait=25") }
        try await eventually {
            (try? await fetch("http://127.0.96.1:\(port)/metrics"))?.contains("pingmesh_controller_task_polls_waiting 1") == true
        }
        let signalled = ContinuousClock.now
        kill(process.processIdentifier, SIGTERM)
        await process.exited()
        let took = ContinuousClock.now - signalled
        #expect(process.terminationStatus == 0, "graceful shutdown on SIGTERM")
        // Well under the poll's 25 s even on a loaded machine; an unclosed poll would hold it all.
        #expect(took < .seconds(18), "stopped \(took) after SIGTERM; the poll alone would hold it 25 s")
        #expect(try await poll.value.contains("\"tasks\""), "the poll got its (empty) answer")
    }

    private func fetch(_ url: String) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
        return String(decoding: data, as: UTF8.self)
    }

    /// Polls a condition that a separate process offers no event for, with a deadline.
    private func eventually(timeout: Duration = .seconds(15), _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within \(timeout)")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// Ports for tests that start the binary, which must be told a port in advance.
enum TCPResponderHelper {
    /// A port that was free a moment ago on `host`; give each test its own host so that no
    /// other test's listener takes the port in between.
    static func freePort(host: String) async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: host, port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }
}
