import Foundation
import Testing

@testable import PingmeshModel

@Suite("Canonical pinglist JSON")
struct CanonicalPinglistJSONTests {
    /// JSONEncoder with sorted keys is the reference the hand-written writer must match wherever
    /// both define the order (ASCII label keys): same bytes, so nothing downstream can tell.
    static func reference(_ file: PinglistFile) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(file))
    }

    @Test("every planned list is byte-identical to JSONEncoder's sorted-keys output")
    func matchesFoundationForPlannedLists() throws {
        var topologyFile = TopologyFixtures.file(datacenters: 2, podsetsPerDC: 2, podsPerPodset: 3, serversPerPod: 5, interDC: 1)
        topologyFile.extraTargets = [
            .init(name: "web", targets: [TargetFile(address: "10.200.0.80", port: 80, kind: .http, labels: ["svc": "web"])])
        ]
        let plan = ProbePlanner.plan(try topologyFile.validated(file: "t"))
        for agent in plan.topology.servers.indices {
            let file = plan.pinglistFile(for: agent)
            #expect(file.canonicalJSON() == (try Self.reference(file)), "agent \(agent)")
        }
    }

    @Test("every optional field, escapes and non-ASCII text match JSONEncoder and decode back")
    func everyFieldAndEscape() throws {
        let target = TargetFile(
            address: "2001:db8::1", port: 8443, kind: .tcp, name: "quote\" back\\slash /slash tab\t nl\n cr\r \u{01}\u{1f} é 東京",
            labels: ["b": "2", "a": "1", "tor": "t-1"], interval: .seconds(30), timeout: .seconds(0.25),
            delay: ConfigDuration(.microseconds(1500)), payloadBytes: 1024)
        let file = PinglistFile(
            version: "abc", agent: "s1",
            settings: PinglistSettingsFile(
                interval: .seconds(10), timeout: .seconds(2), delay: .seconds(0.005), concurrency: 64, payloadBytes: 0,
                sourceAddress: "127.0.0.1", ipProtocol: .both),
            groups: [
                TargetGroupFile(name: "g", labels: ["dc": "dc1"], kind: .tcp, port: 9301, targets: [target, TargetFile(address: "h")]),
                TargetGroupFile(name: "empty", targets: []),
            ])
        let bytes = file.canonicalJSON()
        #expect(bytes == (try Self.reference(file)))
        let decoded = try JSONDecoder().decode(PinglistFile.self, from: Data(bytes))
        #expect(decoded == file)
    }

    @Test("label keys are ordered by their bytes, whatever the dictionary's order")
    func labelOrder() {
        let labels = Dictionary(uniqueKeysWithValues: (0..<40).map { ("k\($0)", "v\($0)") })
        let one = PinglistFile(groups: [TargetGroupFile(name: "g", labels: labels, targets: [])]).canonicalJSON()
        let two = PinglistFile(groups: [TargetGroupFile(name: "g", labels: Dictionary(labels.shuffled(), uniquingKeysWith: { a, _ in a }), targets: [])]).canonicalJSON()
        #expect(one == two)
        let text = String(decoding: one, as: UTF8.self)
        #expect(text.contains(#""k0":"v0","k1":"v1","k10":"v10""#))
    }
}
