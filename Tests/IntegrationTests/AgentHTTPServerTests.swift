import Logging
import NIOCore
import NIOPosix
import PingmeshTestSupport
import ServiceLifecycle
import Testing

@testable import PingmeshAgent
@testable import PingmeshProbe

@Suite("Agent HTTP listener")
struct AgentHTTPServerTests {
    @Test("beyond its connection cap the HTTP listener serves nobody new until a connection closes")
    func connectionCap() async throws {
        let port = try await TCPResponderHelper.freePort(host: "127.0.94.1")
        let app = AgentHTTPServer.makeApplication(
            host: "127.0.94.1", port: port, metrics: AgentMetrics(kinds: [.tcp]), limits: ResponderLimits(maxConnections: 1),
            group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test")
        )
        let (started, signal) = AsyncStream.makeStream(of: Void.self)
        let services = ServiceGroup(
            configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [], logger: Logger(label: "test")))
        let running = Task {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await services.run() }
                group.addTask {
                    // Ready once a connection is accepted and answered.
                    while true {
                        let probe = BlockingSocket()
                        if (try? probe.connect(host: "127.0.94.1", port: port)) != nil {
                            signal.yield()
                            return
                        }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
            }
        }
        var ready = started.makeAsyncIterator()
        await ready.next()

        let holder = BlockingSocket()
        try holder.connect(host: "127.0.94.1", port: port)
        holder.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        // Generous waits where something must happen: a loaded CI machine can take seconds.
        #expect(holder.receive(timeout: .seconds(10))?.hasPrefix("HTTP/1.1 200") == true, "the first connection is served")

        let second = BlockingSocket()
        try second.connect(host: "127.0.94.1", port: port)
        second.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(second.receive(timeout: .milliseconds(300)) == nil, "the second waits while the first is open")

        withExtendedLifetime(holder) {}
        _ = consume holder
        #expect(second.receive(timeout: .seconds(10))?.hasPrefix("HTTP/1.1 200") == true, "and is served once it closes")

        await services.triggerGracefulShutdown()
        try await running.value
    }
}
