import Testing

@testable import PingmeshAgent
@testable import PingmeshModel

@Suite("Agent configuration: upload settings")
struct AgentConfigurationTests {
    private func issues(_ change: (inout AgentConfiguration) -> Void) -> [String] {
        var configuration = AgentConfiguration(name: "agent-1", labels: ["dc": "dc1"], collectors: ["http://127.0.0.1:9320"])
        change(&configuration)
        return configuration.uploadIssues().map(\.description)
    }

    @Test("defaults are valid: 60 s windows, a 64 MiB spool")
    func defaults() {
        let configuration = AgentConfiguration(name: "agent-1", collectors: ["http://127.0.0.1:9320"])
        #expect(configuration.windowSeconds == 60)
        #expect(configuration.spoolMaxBytes == 64 * 1024 * 1024)
        #expect(configuration.uploadIssues().isEmpty)
        #expect(!AgentConfiguration(name: "agent-1").uploads, "no collector, no upload")
    }

    @Test("each bad setting is named by its option")
    func namedIssues() {
        #expect(issues { $0.collectors.append("ftp://collector") }.contains { $0.hasPrefix("--collector: 'ftp://collector'") })
        #expect(issues { $0.collectors = ["http://"] }.contains { $0.hasPrefix("--collector:") })
        #expect(issues { $0.windowSeconds = 45 } == ["--window: 45 is not one of 10, 15, 20, 30, 60 (seconds)"])
        #expect(issues { $0.spoolMaxBytes = 1000 }.contains { $0.hasPrefix("--spool-max-bytes:") })
        #expect(issues { $0.uploadToken = "two words" }.contains { $0.hasPrefix("--collector-token-file:") })
        #expect(issues { $0.labels = ["bad-label": "x"] }.contains { $0.hasPrefix("--labels:") })
        #expect(issues { $0.name = "has space" }.contains { $0.hasPrefix("--name:") })
        for seconds in ResultBatch.allowedWindowSeconds {
            #expect(issues { $0.windowSeconds = seconds }.isEmpty)
        }
    }
}
