import Foundation
import Logging
import NIOCore
import NIOPosix
import PingmeshTestSupport
import ServiceLifecycle
import Testing

@testable import PingmeshAgent
@testable import PingmeshModel
@testable import PingmeshProbe

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One real agent probing 50 real responders, each on its own loopback address, over real TCP.
@Suite("Loopback mesh", .serialized)
struct LoopbackMeshTests {
    let group = MultiThreadedEventLoopGroup.singleton

    @Test(
        "50 responders on distinct 127.0.x.y addresses, probed by one agent; /metrics passes promtool", .requires(.tool(.promtool), .icmp))
    func fiftyResponders() async throws {
        var responders: [any Channel] = []
        var targets: [TargetFile] = []
        for index in 0..<50 {
            let host = "127.0.\(100 + index / 200).\(index % 200 + 10)"
            let channel = try await TCPResponder(host: host, port: 0, group: group).bind()
            responders.append(channel)
            targets.append(TargetFile(address: host, port: channel.localAddress!.port!, name: "peer-\(index)"))
        }
        defer { responders.forEach { $0.close(promise: nil) } }
        // A dead peer: a port nothing listens on any more.
        let closed = try await TCPResponder(host: "127.0.99.1", port: 0, group: group).bind()
        let closedPort = closed.localAddress!.port!
        try await closed.close()
        targets.append(TargetFile(address: "127.0.99.1", port: closedPort, name: "dead-refused"))

        // Ten of the peers answer UDP echo too, probed through the agent's shared UDP socket.
        var udpTargets: [TargetFile] = []
        for index in 0..<10 {
            let host = "127.0.102.\(index + 10)"
            let channel = try await UDPEchoResponder(host: host, port: 0, group: group).bind()
            responders.append(channel)
            udpTargets.append(TargetFile(address: host, port: channel.localAddress!.port!, name: "udp-peer-\(index)"))
        }

        let pinglist = try PinglistFile(
            settings: PinglistSettingsFile(timeout: .seconds(1), delay: .seconds(1)),
            groups: [
                TargetGroupFile(name: "tor-a", labels: ["dc": "dc1", "tor": "a"], targets: targets),
                TargetGroupFile(name: "tor-a-udp", labels: ["dc": "dc1", "tor": "a"], kind: .udp, targets: udpTargets),
                // The kernel answers ICMP echo on every loopback address.
                TargetGroupFile(
                    name: "tor-a-icmp", labels: ["dc": "dc1", "tor": "a"], kind: .icmp,
                    targets: (0..<5).map { TargetFile(address: "127.0.103.\($0 + 10)", name: "icmp-peer-\($0)") }),
            ]
        ).validated(file: "test", contentVersion: "v-test")

        let (ready, signalReady) = AsyncStream.makeStream(of: AgentEndpoints.self)
        let agent = Agent(
            configuration: AgentConfiguration(
                name: "agent-under-test", httpListen: ListenAddress(host: "127.0.98.1", port: 0),
                tcpListen: ListenAddress(host: "127.0.98.1", port: 0), udpListen: ListenAddress(host: "127.0.98.1", port: 0)
            ),
            source: FixedPinglist(pinglist)
        ) { signalReady.yield($0) }
        let services = ServiceGroup(services: [agent], gracefulShutdownSignals: [], logger: Logger(label: "test"))
        let running = Task { try await services.run() }
        defer { running.cancel() }

        var readiness = ready.makeAsyncIterator()
        let endpoints = try #require(await readiness.next())
        let base = "http://\(endpoints.http)"

        // One full round is one interval (10 s): wait for it, bounded.
        var exposition = ""
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            exposition = try await get("\(base)/metrics").body
            if exposition.contains("pingmesh_agent_rounds_total 1") || exposition.contains("pingmesh_agent_rounds_total 2") { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(exposition.contains("pingmesh_agent_targets 66.0") || exposition.contains("pingmesh_agent_targets 66"))
        let ok = value(of: #"pingmesh_probes_total{kind="tcp",result="ok"}"#, in: exposition)
        #expect(ok != nil && ok! >= 50, "every live responder answered in the first round: \(ok ?? -1)")
        #expect((value(of: #"pingmesh_probes_total{kind="tcp",result="refused"}"#, in: exposition) ?? 0) >= 1)
        let icmpOK = value(of: #"pingmesh_probes_total{kind="icmp",result="ok"}"#, in: exposition)
        #expect(icmpOK != nil && icmpOK! >= 5, "every ICMP peer answered in the first round: \(icmpOK ?? -1)")
        let udpOK = value(of: #"pingmesh_probes_total{kind="udp",result="ok"}"#, in: exposition)
        #expect(udpOK != nil && udpOK! >= 10, "every UDP responder echoed in the first round: \(udpOK ?? -1)")
        #expect(exposition.contains(#"target="dead-refused""#), "the dead peer has a failing series")
        #expect(!exposition.contains(#"target="peer-7""#), "healthy peers have no per-target series")

        let verdict = try await Promtool.check(exposition)
        #expect(verdict.status == 0, "promtool: \(verdict.stdout)\(verdict.stderr)")

        let ping = try await get("\(base)/ping?size=1000")
        #expect(ping.status == 200 && ping.body.count == 1000)
        let tooBig = try await get("\(base)/ping?size=70000")
        #expect(tooBig.status == 400 && tooBig.body.contains("size"))
        #expect(try await get("\(base)/healthz").status == 200)

        await services.triggerGracefulShutdown()
        try await running.value
    }

    private func value(of series: String, in exposition: String) -> Double? {
        exposition.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    private func get(_ url: String) async throws -> (status: Int, body: String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}
