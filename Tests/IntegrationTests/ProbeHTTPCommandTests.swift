import Logging
import NIOCore
import NIOPosix
import PingmeshTestSupport
import ServiceLifecycle
import Testing

@testable import PingmeshAgent
@testable import PingmeshProbe

/// `pingmesh probe http` as an operator runs it against an agent's own HTTP listener: a URL
/// target, request and validation flags, the phase summary, and flags that are wrong.
@Suite("pingmesh probe http")
struct ProbeHTTPCommandTests {
    @Test("a URL with validation flags: exit 0 with phase medians; a failed check exits 1 naming it", .requires(.pingmeshBinary))
    func urlAndValidation() async throws {
        let binary = try PingmeshBinary.require()
        let (ports, reportPort) = AsyncStream.makeStream(of: Int.self)
        let app = AgentHTTPServer.makeApplication(
            host: "127.0.0.1", port: 0, metrics: AgentMetrics(kinds: [.http]), limits: ResponderLimits(),
            group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test"),
            onRunning: { reportPort.yield($0.localAddress?.port ?? 0) })
        let services = ServiceGroup(
            configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [], logger: Logger(label: "test")))
        let running = Task { try await services.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let url = "http://127.0.0.1:\(port)/ping?size=16"
        // The server answers from this test process's cooperative pool, which a loaded CI
        // machine can hold up for seconds: a generous timeout, since only the answer is checked.
        let patient = ["--timeout", "5s"]

        let passed = try await Command.run(
            binary, ["probe", "http", url, "--expect-status", "200", "--expect-body", "^p{16}$", "--header", "X-Probe: 1", "--delay", "1s"] + patient)
        #expect(passed.status == 0, "\(passed.stdout)\(passed.stderr)")
        #expect(passed.stdout.contains("status=200") && passed.stdout.contains("bytes=16"), "\(passed.stdout)")
        #expect(passed.stdout.contains("phase medians: connect "), "\(passed.stdout)")
        // The summary as ping's, with percentiles and spread (one probe: no jitter, which needs two
        // answers in a row; RTTSummaryTests check it).
        #expect(passed.stdout.contains("rtt min/avg/p50/p99/max = ") && passed.stdout.contains(" ms, stddev "), "\(passed.stdout)")
        #expect(!passed.stdout.contains("jitter"), "\(passed.stdout)")

        let rejected = try await Command.run(binary, ["probe", "http", url, "--reject-body", "p+"] + patient)
        #expect(rejected.status == 1 && rejected.stdout.contains("body matched 'p+'"), "\(rejected.stdout)\(rejected.stderr)")

        let posted = try await Command.run(
            binary, ["probe", "http", "127.0.0.1:\(port)", "--method", "POST", "--body", "echo-me", "--expect-body", "^echo-me$"] + patient)
        #expect(posted.status == 0, "the agent's /ping echoes a POST: \(posted.stdout)\(posted.stderr)")

        await services.triggerGracefulShutdown()
        try await running.value
    }

    @Test("bad flags exit 2 with a message naming the flag", .requires(.pingmeshBinary))
    func badFlags() async throws {
        let binary = try PingmeshBinary.require()
        let cases: [(arguments: [String], message: String)] = [
            (["--method", "FETCH"], "--method: 'FETCH' is not an HTTP method"),
            (["--header", "no-colon"], "--header: 'no-colon' is not NAME:VALUE"),
            (["--expect-status", "7xx"], "--expect-status: '7xx' is not a status"),
            (["--reject-body", "("], "--reject-body: '(' is not a valid regular expression"),
            (["--ca-file", "/nonexistent/ca.pem"], "--ca-file: cannot read '/nonexistent/ca.pem'"),
        ]
        for (arguments, message) in cases {
            let result = try await Command.run(binary, ["probe", "http", "127.0.0.1:1"] + arguments)
            #expect(result.status == 2 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        let wrongKind = try await Command.run(binary, ["probe", "tcp", "127.0.0.1:1", "--method", "GET"])
        #expect(wrongKind.status == 2 && wrongKind.stderr.contains("only for http probes"), "\(wrongKind.stderr)")
    }
}
