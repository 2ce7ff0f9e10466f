import PingmeshCollector
import PingmeshModel
import Testing

/// What both stores' schema-2 migration tests write in the old layout (server-pair minute rows
/// in `pairs`) and what they then expect of the packed rows, so SQLite and PostgreSQL are held
/// to the same outcome.
enum OldLayoutMigration {
    typealias Row = (source: String, destination: String, kind: Int, ok: Int, timeout: Int, rttHex: String?)

    static let minute = BatchFactory.minute(4)

    static func hex(_ rtts: [UInt64]) -> String { BatchFactory.sketch(rtts).encoded().map { String(format: "%02x", $0) }.joined() }

    /// Two sources, two kinds, a pair with no latency.
    static let rows: [Row] = [
        ("a1", "b1", ProbeKind.tcp.code, 2, 0, hex([100, 200])), ("a1", "b2", ProbeKind.tcp.code, 1, 3, hex([300])),
        ("a1", "b1", ProbeKind.udp.code, 1, 0, hex([50])), ("a2", "b1", ProbeKind.tcp.code, 0, 4, nil),
    ]

    /// The migrated store holds exactly those rows, and a late batch for a packed pair adds to
    /// it while the others stay as they were.
    static func check(_ store: any ResultStore) async throws {
        func rows() async throws -> [String: PairAggregate] {
            let all = try await store.aggregates(level: .server, resolution: .minute, from: minute, to: minute + 60)
            return Dictionary(uniqueKeysWithValues: all.map { ("\($0.source)>\($0.destination) \($0.kind)", $0) })
        }
        var found = try await rows()
        #expect(found.count == 4)
        #expect(found["a1>b1 tcp"]?.rtt == BatchFactory.sketch([100, 200]))
        #expect(found["a1>b2 tcp"]?.counts == ResultCounts(ok: 1, timeout: 3))
        #expect(found["a1>b1 udp"]?.rtt == BatchFactory.sketch([50]))
        #expect(found["a2>b1 tcp"]?.counts == ResultCounts(timeout: 4) && found["a2>b1 tcp"]?.rtt.isEmpty == true)
        let late = BatchFactory.batch(agent: "a1", windows: [BatchFactory.summary(to: "b1", start: minute, rtts: [400])])
        #expect(try await store.ingest(IngestBatch(late, receivedAt: BatchFactory.now * 1000)))
        found = try await rows()
        #expect(found["a1>b1 tcp"]?.counts == ResultCounts(ok: 3))
        #expect(found["a1>b1 tcp"]?.rtt == BatchFactory.sketch([100, 200, 400]))
        #expect(found["a1>b2 tcp"]?.counts == ResultCounts(ok: 1, timeout: 3))
    }
}
