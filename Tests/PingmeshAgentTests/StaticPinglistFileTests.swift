import Foundation
import Testing

@testable import PingmeshAgent
@testable import PingmeshModel

@Suite("Static pinglist file")
struct StaticPinglistFileTests {
    private func temporaryFile(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pinglist-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    private func list(_ host: String) -> String { "groups: [{name: g, targets: ['\(host):9301']}]" }

    @Test("a changed file is reloaded; a bad new file is rejected and counted, the last good list kept")
    func reloadAndReject() async throws {
        let url = try temporaryFile(list("10.0.0.1"))
        defer { try? FileManager.default.removeItem(at: url) }
        let metrics = AgentMetrics(kinds: [.tcp])
        let (delivered, deliver) = AsyncStream.makeStream(of: Pinglist.self)
        let source = StaticPinglistFile(path: url.path, pollInterval: .milliseconds(20))
        let task = Task { try await source.run(metrics: metrics) { deliver.yield($0) } }
        defer { task.cancel() }
        var lists = delivered.makeAsyncIterator()

        #expect(await lists.next()?.targets.map(\.host) == ["10.0.0.1"])

        try "settings: {interval: 1s}\n\(list("10.0.0.2"))".write(to: url, atomically: true, encoding: .utf8)
        try await eventually { String(decoding: metrics.exposition(), as: UTF8.self).contains("pingmesh_agent_pinglist_rejected_total 1") }

        try list("10.0.0.3").write(to: url, atomically: true, encoding: .utf8)
        #expect(await lists.next()?.targets.map(\.host) == ["10.0.0.3"], "the bad list was never delivered; the next good one is")
    }

    /// Polls a condition the code under test offers no event for (a counter), with a deadline.
    private func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within \(timeout)")
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
