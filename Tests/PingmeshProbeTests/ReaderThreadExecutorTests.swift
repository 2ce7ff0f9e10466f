import NIOCore
import NIOPosix
import PingmeshModel
import PingmeshTestSupport
import Testing

@testable import PingmeshProbe

/// Probe tasks that prefer a datagram prober's executor run on its reader thread, and never
/// hang when there is no reader to run them.
@Suite("Reader thread executor", .timeLimit(.minutes(1)))
struct ReaderThreadExecutorTests {
    /// Runs `workers` tasks preferring `prober`'s executor, each sending `probes` probes; returns
    /// every outcome and whether the task was on the prober's reader thread after each reply.
    static func probeLoops(_ prober: any Prober, _ request: ProbeRequest, workers: Int, probes: Int) async -> [(ProbeOutcome, Bool)] {
        let executor = prober.preferredExecutor as? ReaderThreadExecutor
        return await withTaskGroup(of: [(ProbeOutcome, Bool)].self) { group in
            for _ in 0..<workers {
                group.addTask(executorPreference: prober.preferredExecutor) {
                    var seen: [(ProbeOutcome, Bool)] = []
                    for _ in 0..<probes { seen.append((await prober.probe(request), executor?.isReaderThread ?? false)) }
                    return seen
                }
            }
            var all: [(ProbeOutcome, Bool)] = []
            for await part in group { all += part }
            return all
        }
    }

    @Test("UDP: the first probe runs before any reader exists; after it every reply resumes its task on the reader thread")
    func udpLoopsRunOnTheReader() async throws {
        let prober = UDPProber()
        let (channel, address) = try await UDPEchoTests.responder()
        let request = ProbeRequest(address: address, timeout: .seconds(3), delay: .seconds(5))
        #expect(prober.preferredExecutor != nil)
        // A fresh prober has no reader thread yet: the preferring task must still run.
        let first = await Self.probeLoops(prober, request, workers: 1, probes: 1)
        #expect(first.map(\.0.result) == [.ok])
        let seen = await Self.probeLoops(prober, request, workers: 16, probes: 20)
        #expect(seen.count == 320)
        #expect(seen.filter { $0.0.result == .ok }.count == 320, "\(seen.first { $0.0.result != .ok }.map { "\($0.0)" } ?? "")")
        #expect(seen.allSatisfy { $0.1 }, "resumed off the reader thread")
        try await channel.close()
        await prober.shutdown()
    }

    @Test("UDP: after shutdown a task preferring the executor still ends, with an error outcome")
    func udpAfterShutdown() async throws {
        let prober = UDPProber()
        let (channel, address) = try await UDPEchoTests.responder()
        let request = ProbeRequest(address: address, timeout: .seconds(3), delay: .seconds(5))
        _ = await prober.probe(request)
        await prober.shutdown()
        let after = await Self.probeLoops(prober, request, workers: 4, probes: 3)
        #expect(after.map(\.0.result) == Array(repeating: .error, count: 12))
        try await channel.close()
    }

    @Test("UDP: probes in flight at shutdown end, and their tasks finish off the stopped reader")
    func udpShutdownWithProbesInFlight() async throws {
        let prober = UDPProber()
        _ = await prober.probe(ProbeRequest(address: try SocketAddress(ipAddress: "127.0.0.1", port: 9), timeout: .milliseconds(50)))
        // Nothing answers the discard port, so these wait until shutdown ends them.
        let request = ProbeRequest(address: try SocketAddress(ipAddress: "127.0.0.1", port: 9), timeout: .seconds(30))
        async let loops = Self.probeLoops(prober, request, workers: 8, probes: 1)
        try await Task.sleep(for: .milliseconds(200))
        await prober.shutdown()
        let ended = await loops
        #expect(ended.map(\.0.result) == Array(repeating: .error, count: 8))
    }

    @Test("ICMP: every reply resumes its task on the reader thread", .requires(.icmp))
    func icmpLoopsRunOnTheReader() async throws {
        let prober = try ICMPProber.make()
        defer { prober.shutdown() }
        let request = ProbeRequest(address: try SocketAddress(ipAddress: "127.0.0.1", port: 0), timeout: .seconds(3), delay: .seconds(5))
        let seen = await Self.probeLoops(prober, request, workers: 8, probes: 10)
        #expect(seen.filter { $0.0.result == .ok }.count == 80)
        #expect(seen.allSatisfy { $0.1 }, "resumed off the reader thread")
    }

    @Test("TCP: every completed handshake resumes its task on the epoll loop, which starts the next probe itself")
    func tcpLoopsRunOnTheLoop() async throws {
        let prober = try EpollTCPProber()
        defer { prober.shutdown() }
        let channel = try await TCPResponder(host: "127.0.0.1", port: 0, limits: ResponderLimits(), group: MultiThreadedEventLoopGroup.singleton).bind()
        let request = ProbeRequest(address: try #require(channel.localAddress), timeout: .seconds(3), delay: .seconds(5))
        let seen = await Self.probeLoops(prober, request, workers: 8, probes: 10)
        #expect(seen.filter { $0.0.result == .ok }.count == 80, "\(seen.first { $0.0.result != .ok }.map { "\($0.0)" } ?? "")")
        #expect(seen.allSatisfy { $0.1 }, "resumed off the loop thread")
        try await channel.close()
    }

    @Test("TCP: a probe that fails as it begins, with nothing else in flight, still resumes its task on the loop", .timeLimit(.minutes(1)))
    func tcpImmediateFailureResumes() async throws {
        let prober = try EpollTCPProber()
        defer { prober.shutdown() }
        // Bound to an address this host does not have: bind fails at once, on the loop thread.
        let request = ProbeRequest(
            address: try SocketAddress(ipAddress: "127.0.0.1", port: 9), timeout: .seconds(2), delay: .seconds(5),
            sourceAddress: try SocketAddress(ipAddress: "192.0.2.1", port: 20_001))
        let outcomes = await Task(executorPreference: prober.preferredExecutor) {
            // Each probe starts from the loop after the previous one resumed there: a lost wake-up
            // would leave the second waiting for ever.
            var outcomes: [ProbeOutcome] = []
            for _ in 0..<3 { outcomes.append(await prober.probe(request)) }
            return outcomes
        }.value
        #expect(outcomes.count == 3 && outcomes.allSatisfy { $0.result == .error && $0.detail?.contains("bind") == true }, "\(outcomes)")
    }

    @Test("TCP: shutting the prober down from a task on its own loop returns, and later probes end as errors")
    func tcpShutdownFromTheLoop() async throws {
        let prober = try EpollTCPProber()
        let channel = try await TCPResponder(host: "127.0.0.1", port: 0, limits: ResponderLimits(), group: MultiThreadedEventLoopGroup.singleton).bind()
        let request = ProbeRequest(address: try #require(channel.localAddress), timeout: .seconds(3), delay: .seconds(5))
        let onLoop = await Task(executorPreference: prober.preferredExecutor) {
            _ = await prober.probe(request)
            let onLoop = (prober.preferredExecutor as? ReaderThreadExecutor)?.isReaderThread ?? false
            prober.shutdown()
            return onLoop
        }.value
        #expect(onLoop)
        let after = await Self.probeLoops(prober, request, workers: 2, probes: 2)
        #expect(after.map(\.0.result) == Array(repeating: .error, count: 4))
        try await channel.close()
    }
}
