import Foundation
import PingmeshCollector
import PingmeshModel
import Testing

/// What every `ResultStore` must do, written once and run against each store (SQLite,
/// PostgreSQL): a suite calls one check per test, with `open` on fresh, empty data.
///
///     @Test func duplicate() async throws {
///         let path = TemporaryStore.path()
///         try await StoreConformance(open: { try await TemporaryStore.sqlite(at: path) }).duplicateBatchIsIgnored()
///     }
struct StoreConformance: Sendable {
    /// Opens a prepared store object on this check's data: the first call sees it empty, later
    /// calls stand for a restarted collector or another replica. Every call must open the same
    /// data (the same file, the same database).
    var open: @Sendable () async throws -> any ResultStore
    /// Releases a store `open` returned (PostgreSQL: closes its pool).
    var close: @Sendable (any ResultStore) async -> Void = { _ in }

    // MARK: Checks

    /// A batch id seen before is acknowledged as a duplicate and changes nothing: no counts,
    /// failures or dirty generations doubled, the agent's record not touched.
    func duplicateBatchIsIgnored() async throws {
        try await withStore { store in
            let first = Self.batch(
                id: "batch-0001", lastUpload: Self.base * 1000,
                rows: [
                    Self.row("s1", "b1", minute: Self.base, ok: 3, rtts: [100, 150, 200]),
                    Self.row("s1", "b2", minute: Self.base, ok: 1, timeout: 1, rtts: [300]),
                ],
                failures: [Self.failure("s1", "b2", at: Self.base * 1000 + 10)],
                ports: [PortRow(window: Self.base, source: "s1", destination: "b2", port: 40_001, sent: 2, failed: 1)],
                placements: ["b1": ["tor": "t1"]])
            #expect(try await store.ingest(first))
            var again = first
            again.agent.lastUpload += 5000
            again.placements = ["b1": ["tor": "t9"]]
            #expect(try await !store.ingest(again), "the same id again is a duplicate")

            let rows = try await store.aggregates(level: .server, resolution: .minute, from: Self.base, to: Self.base + 60)
            #expect(rows.count == 2)
            let b1 = try #require(rows.first { $0.destination == "b1" })
            #expect(b1.counts == ResultCounts(ok: 3))
            #expect(b1.rtt == Self.sketch([100, 150, 200]))
            #expect(try await store.failures(FailureQuery(from: 0, to: Int64.max)).count == 1)
            #expect(try await store.dirtyWindows(resolution: .minute, limit: 10) == [DirtyWindow(window: Self.base, generation: 1)])
            #expect(try await store.agents().map(\.lastUpload) == [Self.base * 1000])
            #expect(try await store.placements()["b1"] == ["tor": "t1"])
        }
    }

    /// Rows with one key add up, whether they come in two batches (an agent restarted mid
    /// window) or twice in one batch: counts add, sketches merge sample by sample.
    func sameKeyAddsUp() async throws {
        try await withStore { store in
            let minute = Self.base + 120
            _ = try await store.ingest(Self.batch(id: "b-1", rows: [Self.row("s1", "b1", minute: minute, ok: 2, rtts: [100, 110])]))
            _ = try await store.ingest(Self.batch(id: "b-2", rows: [Self.row("s1", "b1", minute: minute, ok: 1, timeout: 2, rtts: [120])]))
            _ = try await store.ingest(
                Self.batch(
                    id: "b-3",
                    rows: [
                        Self.row("s1", "b1", minute: minute, ok: 1, rtts: [5000]), Self.row("s1", "b1", minute: minute, refused: 1, rtts: []),
                    ]))
            let rows = try await store.aggregates(level: .server, resolution: .minute, from: minute, to: minute + 60)
            #expect(rows.count == 1)
            #expect(rows.first?.counts == ResultCounts(ok: 4, timeout: 2, refused: 1))
            #expect(rows.first?.rtt == Self.sketch([100, 110, 120, 5000]))
            #expect(rows.first?.rtt.count == 4)
            #expect(
                try await store.dirtyWindows(resolution: .minute, limit: 10) == [DirtyWindow(window: minute, generation: 3)],
                "each batch marks its minute once")
        }
    }

    /// The `unresolved` and `retransmitted` classes, the resent SYNs and the jitter are kept at
    /// every level, merged like the others, and read alike by the decoded and the compact reads
    /// (server minutes are packed cells, other levels rows; DC pairs take PostgreSQL's wide
    /// packing).
    func unresolvedCountsKept() async throws {
        try await withStore { store in
            let minute = Self.base + 240
            func row(_ source: String, _ destination: String, _ counts: ResultCounts, level: TopologyLevel = .server) -> PairAggregate {
                PairAggregate(
                    level: level, resolution: .minute, window: minute, source: source, destination: destination, kind: .tcp, counts: counts,
                    rtt: Self.sketch(Array(repeating: 100, count: Int(counts.answered))))
            }
            _ = try await store.ingest(
                Self.batch(id: "u-1", rows: [row("s1", "web", ResultCounts(ok: 2, unresolved: 3, retransmitted: 1, synRetransmits: 2, jitterPairs: 1, jitterNanoseconds: 40_000))]))
            _ = try await store.ingest(Self.batch(id: "u-2", rows: [row("s1", "web", ResultCounts(unresolved: 1, retransmitted: 2, synRetransmits: 2, jitterPairs: 0))]))
            try await store.replaceAggregates(
                level: .tor, resolution: .minute, window: minute,
                with: [row("t1", "t9", ResultCounts(ok: 1, error: 2, unresolved: 5, retransmitted: 7, synRetransmits: 9, jitterPairs: 11, jitterNanoseconds: 13), level: .tor)])
            try await store.replaceAggregates(
                level: .dc, resolution: .minute, window: minute,
                with: [row(
                        "dc1", "dc9",
                        ResultCounts(
                            timeout: 4, unresolved: 6, retransmitted: 3_000_000_000, synRetransmits: 5_000_000_000, jitterPairs: 6_000_000_000,
                            jitterNanoseconds: 7_000_000_000_000),
                        level: .dc)])

            let expected: [(TopologyLevel, ResultCounts)] = [
                (.server, ResultCounts(ok: 2, unresolved: 4, retransmitted: 3, synRetransmits: 4, jitterPairs: 1, jitterNanoseconds: 40_000)),
                (.tor, ResultCounts(ok: 1, error: 2, unresolved: 5, retransmitted: 7, synRetransmits: 9, jitterPairs: 11, jitterNanoseconds: 13)),
                (
                    .dc,
                    ResultCounts(
                        timeout: 4, unresolved: 6, retransmitted: 3_000_000_000, synRetransmits: 5_000_000_000, jitterPairs: 6_000_000_000,
                        jitterNanoseconds: 7_000_000_000_000)
                ),
            ]
            for (level, counts) in expected {
                let rows = try await store.aggregates(level: level, resolution: .minute, from: minute, to: minute + 60)
                #expect(rows.map(\.counts) == [counts], "\(level)")
                let compact = try await store.compactAggregates(level: level, resolution: .minute, from: minute, to: minute + 60)
                #expect(compact.rows.map(\.counts) == [counts], "compact \(level)")
            }
        }
    }

    /// The compact form a matrix reads holds the same rows as `aggregates`: windows, names (by
    /// id), counts and every sketch byte for byte; other levels, resolutions and windows stay
    /// out, and rows without latency keep an empty sketch. 40 sources, so that every parallel
    /// part of a partitioned read has rows.
    func compactAggregatesMatchAggregates() async throws {
        try await withStore { store in
            var rows: [PairAggregate] = []
            for source in 0..<40 {
                for destination in 0..<5 where destination != source % 5 {
                    let rtts = (0..<UInt64(source % 4)).map { 100 + 37 * $0 + UInt64(source * destination) }
                    for minute in [Self.base, Self.base + 60, Self.base + 120] {
                        rows.append(
                            Self.row("s\(source)", "d\(destination)", minute: minute, ok: UInt64(rtts.count), timeout: UInt64(destination), rtts: rtts))
                    }
                }
            }
            _ = try await store.ingest(Self.batch(id: "compact-1", rows: rows))
            try await store.replaceAggregates(
                level: .tor, resolution: .minute, window: Self.base + 60, with: [Self.row("t1", "t2", minute: Self.base + 60, ok: 1, rtts: [50], level: .tor)])

            let from = Self.base + 60
            let to = Self.base + 180
            let expected = try await store.aggregates(level: .server, resolution: .minute, from: from, to: to)
            let compact = try await store.compactAggregates(level: .server, resolution: .minute, from: from, to: to)
            #expect(expected.count == 40 * 4 * 2)
            func key(_ window: Int64, _ source: String, _ destination: String) -> String { "\(window) \(source) \(destination)" }
            let want = Dictionary(uniqueKeysWithValues: expected.map { (key($0.window, $0.source, $0.destination), $0) })
            var seen = Set<String>()
            for row in compact.rows {
                let name = key(row.window, compact.names[row.source] ?? "?", compact.names[row.destination] ?? "?")
                let decoded = try #require(want[name], "compact row \(name) is not in aggregates")
                #expect(seen.insert(name).inserted, "row \(name) twice")
                #expect(row.kind == decoded.kind && row.counts == decoded.counts)
                #expect(try compact.sketch(of: row) == decoded.rtt)
                #expect(row.sketch.isEmpty == decoded.rtt.isEmpty)
            }
            #expect(seen.count == want.count)
            // One window (the store may read it apart from a range).
            let one = try await store.compactAggregates(level: .server, resolution: .minute, from: from, to: from + 60)
            #expect(one.rows.count == 40 * 4 && one.rows.allSatisfy { $0.window == from })
            // Above the server level, counts beyond 32 bits (a DC pair's day) come back whole.
            let tor = try await store.compactAggregates(level: .tor, resolution: .minute, from: Self.base, to: Self.base + 600)
            #expect(tor.rows.count == 1 && tor.rows.first.map { tor.names[$0.source] } == "t1")
            try await store.replaceAggregates(
                level: .dc, resolution: .day, window: 0,
                with: [PairAggregate(level: .dc, resolution: .day, window: 0, source: "dc1", destination: "dc2", kind: .tcp,
                    counts: ResultCounts(ok: 5_000_000_000, slow: 7, timeout: 4_300_000_000), rtt: LatencySketch())])
            let day = try await store.compactAggregates(level: .dc, resolution: .day, from: 0, to: 86_400)
            #expect(day.rows.first?.counts == ResultCounts(ok: 5_000_000_000, slow: 7, timeout: 4_300_000_000))
            #expect(try await store.compactAggregates(level: .server, resolution: .minute, from: Self.base + 600, to: Self.base + 900).rows.isEmpty)
        }
    }

    /// Many tasks (spread over `replicas` store objects on the same data, as several collector
    /// replicas would be) ingest batches into the same pair keys at once, and resend some: the
    /// totals are exact, no increment and no dirty mark lost, no batch stored twice.
    func concurrentIngestsLoseNothing(tasks: Int = 20, batchesPerTask: Int = 5, replicas: Int = 1) async throws {
        var stores: [any ResultStore] = []
        for _ in 0..<max(1, replicas) { stores.append(try await open()) }
        let minutes = [Self.base + 600, Self.base + 660]
        let destinations = ["b0", "b1", "b2"]
        func batch(task: Int, number: Int) -> IngestBatch {
            var rows: [PairAggregate] = []
            for minute in minutes {
                for (index, destination) in destinations.enumerated() {
                    let ok = UInt64(1 + (task + number + index) % 3)
                    let rtts = (0..<ok).map { UInt64(100 + task * 10 + number + Int($0) * 1000) }
                    rows.append(Self.row("s1", destination, minute: minute, ok: ok, timeout: 1, rtts: rtts))
                }
            }
            return Self.batch(
                id: "task-\(task)-batch-\(number)", agent: "agent-\(task)", lastUpload: (Self.base + Int64(number)) * 1000, rows: rows,
                failures: [Self.failure("s1", destinations[number % destinations.count], at: Self.base * 1000 + Int64(task * 100 + number))],
                ports: [PortRow(window: minutes[0], source: "s1", destination: "b0", port: 40_000 + number, sent: 1, failed: 1)],
                placements: ["s1": ["tor": "t1"], "b0": ["tor": "t2"], "agent-\(task)": ["tor": "t\(task % 3)"]])
        }
        var expected: [String: PairAggregate] = [:]
        for task in 0..<tasks {
            for number in 0..<batchesPerTask {
                for row in batch(task: task, number: number).rows {
                    let key = "\(row.window)>\(row.destination)"
                    if expected[key] == nil { expected[key] = row } else { expected[key]!.merge(row) }
                }
            }
        }

        let outcomes = try await withThrowingTaskGroup(of: [Bool].self) { group in
            for task in 0..<tasks {
                let store = stores[task % stores.count]
                group.addTask {
                    var outcomes: [Bool] = []
                    for number in 0..<batchesPerTask {
                        outcomes.append(try await store.ingest(batch(task: task, number: number)))
                    }
                    // A retry of a batch that was stored: acknowledged, not stored again.
                    outcomes.append(try await store.ingest(batch(task: task, number: 0)))
                    return outcomes
                }
            }
            var all: [[Bool]] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.count == tasks)
        #expect(outcomes.allSatisfy { $0 == Array(repeating: true, count: batchesPerTask) + [false] })

        let reader = try await open()
        let rows = try await reader.aggregates(level: .server, resolution: .minute, from: minutes[0], to: minutes[1] + 60)
        #expect(rows.count == expected.count)
        for row in rows {
            let want = try #require(expected["\(row.window)>\(row.destination)"])
            #expect(row.counts == want.counts, "counts of \(row.destination) at \(row.window)")
            #expect(row.rtt == want.rtt, "sketch of \(row.destination) at \(row.window)")
        }
        #expect(
            try await reader.dirtyWindows(resolution: .minute, limit: 10)
                == minutes.map { DirtyWindow(window: $0, generation: Int64(tasks * batchesPerTask)) })
        #expect(try await reader.failures(FailureQuery(from: 0, to: Int64.max, limit: 10_000)).count == tasks * batchesPerTask)
        #expect(try await reader.agents().count == tasks)
        #expect(try await reader.placements().count == tasks + 2)
        for store in stores + [reader] { await close(store) }
    }

    /// A rollup result replaces every row of its level, resolution and window, and nothing else.
    func replaceAggregatesReplacesOneWindow() async throws {
        try await withStore { store in
            let window = Self.base - Self.base % 600
            let other = window + 600
            func rollup(_ source: String, _ destination: String, _ window: Int64, ok: UInt64) -> PairAggregate {
                Self.row(source, destination, minute: window, ok: ok, rtts: [UInt64(ok * 10)], level: .tor, resolution: .tenMinutes)
            }
            _ = try await store.ingest(Self.batch(id: "b-1", rows: [Self.row("s1", "b1", minute: window, ok: 1, rtts: [10])]))
            try await store.replaceAggregates(
                level: .tor, resolution: .tenMinutes, window: window, with: [rollup("t1", "t2", window, ok: 5), rollup("t2", "t1", window, ok: 6)])
            try await store.replaceAggregates(level: .tor, resolution: .tenMinutes, window: other, with: [rollup("t1", "t2", other, ok: 7)])
            try await store.replaceAggregates(level: .pod, resolution: .tenMinutes, window: window, with: [rollup("p1", "p2", window, ok: 8)])
            var rows = try await store.aggregates(level: .tor, resolution: .tenMinutes, from: window, to: window + 600)
            #expect(Set(rows.map { "\($0.source)>\($0.destination):\($0.counts.ok)" }) == ["t1>t2:5", "t2>t1:6"])

            try await store.replaceAggregates(level: .tor, resolution: .tenMinutes, window: window, with: [rollup("t1", "t3", window, ok: 9)])
            rows = try await store.aggregates(level: .tor, resolution: .tenMinutes, from: window, to: window + 600)
            #expect(rows.map { "\($0.source)>\($0.destination):\($0.counts.ok)" } == ["t1>t3:9"])
            #expect(rows.first?.rtt == Self.sketch([90]))
            #expect(rows.first?.window == window)

            #expect(try await store.aggregates(level: .tor, resolution: .tenMinutes, from: other, to: other + 600).map(\.counts.ok) == [7])
            #expect(try await store.aggregates(level: .pod, resolution: .tenMinutes, from: window, to: window + 600).map(\.counts.ok) == [8])
            #expect(try await store.aggregates(level: .server, resolution: .minute, from: window, to: window + 60).map(\.counts.ok) == [1])

            try await store.replaceAggregates(level: .tor, resolution: .tenMinutes, window: window, with: [])
            #expect(try await store.aggregates(level: .tor, resolution: .tenMinutes, from: window, to: window + 600).isEmpty)
        }
    }

    /// Replicas rolling up the same window at once (each with its own result) leave exactly one
    /// whole result, never a mix of two and never an error.
    func concurrentReplacementsKeepOneWholeResult(tasks: Int = 10, replicas: Int = 2) async throws {
        var stores: [any ResultStore] = []
        for _ in 0..<max(1, replicas) { stores.append(try await open()) }
        let window = Self.base - Self.base % 3600
        func result(_ task: Int) -> [PairAggregate] {
            // Keys of this task only: nothing but the window's lock keeps two results apart.
            (0..<3).map { peer in
                Self.row("t0", "t\(task * 3 + peer + 1)", minute: window, ok: UInt64(task + 1), rtts: [UInt64(task + 1)], level: .tor, resolution: .hour)
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                let store = stores[task % stores.count]
                group.addTask { try await store.replaceAggregates(level: .tor, resolution: .hour, window: window, with: result(task)) }
            }
            try await group.waitForAll()
        }
        let rows = try await stores[0].aggregates(level: .tor, resolution: .hour, from: window, to: window + 3600)
        let winner = Int(try #require(rows.first?.counts.ok)) - 1
        #expect(Set(rows.map { "\($0.destination):\($0.counts.ok)" }) == Set(result(winner).map { "\($0.destination):\($0.counts.ok)" }))
        for store in stores { await close(store) }
    }

    /// Dirty windows come oldest first with their generation; a clear with a generation that
    /// has moved on (the window was marked again since it was read) leaves the mark.
    func dirtyGenerations() async throws {
        try await withStore { store in
            let (w1, w2, w3) = (Self.base, Self.base + 600, Self.base + 1200)
            try await store.markDirty(resolution: .tenMinutes, windows: [w3, w1])
            try await store.markDirty(resolution: .tenMinutes, windows: [w2])
            try await store.markDirty(resolution: .hour, windows: [w1])
            #expect(
                try await store.dirtyWindows(resolution: .tenMinutes, limit: 10) == [
                    DirtyWindow(window: w1, generation: 1), DirtyWindow(window: w2, generation: 1), DirtyWindow(window: w3, generation: 1),
                ])
            #expect(try await store.dirtyWindows(resolution: .tenMinutes, limit: 2).map(\.window) == [w1, w2])

            let read = try #require(try await store.dirtyWindows(resolution: .tenMinutes, limit: 1).first)
            try await store.markDirty(resolution: .tenMinutes, windows: [w1])
            try await store.clearDirty(resolution: .tenMinutes, read)
            #expect(
                try await store.dirtyWindows(resolution: .tenMinutes, limit: 1) == [DirtyWindow(window: w1, generation: 2)],
                "marked again after it was read: the stale clear is a no-op")
            try await store.clearDirty(resolution: .tenMinutes, DirtyWindow(window: w1, generation: 2))
            try await store.clearDirty(resolution: .tenMinutes, DirtyWindow(window: w2, generation: 1))
            #expect(try await store.dirtyWindows(resolution: .tenMinutes, limit: 10) == [DirtyWindow(window: w3, generation: 1)])
            #expect(try await store.dirtyWindows(resolution: .hour, limit: 10) == [DirtyWindow(window: w1, generation: 1)])
        }
    }

    /// Failures are found by source, destination and time (`from..<to`), newest first, with
    /// every field as stored.
    func failureQueries() async throws {
        try await withStore { store in
            let t = Self.base * 1000
            _ = try await store.ingest(
                Self.batch(
                    id: "f-1", agent: "a1",
                    rows: [Self.row("a1", "b1", minute: Self.base, timeout: 2, rtts: [])],
                    failures: [
                        StoredFailure(
                            source: "a1", destination: "b1", target: "tcp://b1:9301", kind: .tcp, result: .timeout, at: t + 100, sourcePort: 40_001,
                            detail: "no answer in 1s"),
                        StoredFailure(
                            source: "a1", destination: "b2", target: "http://b2:9300/", kind: .http, result: .slow, at: t + 200, rttNanoseconds: 900_000_000),
                        Self.failure("a1", "b1", at: t + 300),
                    ]))
            _ = try await store.ingest(Self.batch(id: "f-2", agent: "a2", failures: [Self.failure("a2", "b1", at: t + 150)]))

            let all = try await store.failures(FailureQuery(from: t, to: t + 1000))
            #expect(all.map(\.at) == [t + 300, t + 200, t + 150, t + 100], "newest first")
            #expect(try await store.failures(FailureQuery(source: "a1", from: t, to: t + 1000)).map(\.at) == [t + 300, t + 200, t + 100])
            #expect(try await store.failures(FailureQuery(destination: "b1", from: t, to: t + 1000)).map(\.at) == [t + 300, t + 150, t + 100])
            #expect(try await store.failures(FailureQuery(source: "a1", destination: "b1", from: t, to: t + 1000)).map(\.at) == [t + 300, t + 100])
            #expect(try await store.failures(FailureQuery(from: t + 100, to: t + 300)).map(\.at) == [t + 200, t + 150, t + 100], "from..<to")
            #expect(try await store.failures(FailureQuery(from: t, to: t + 1000, limit: 2)).map(\.at) == [t + 300, t + 200])
            #expect(try await store.failures(FailureQuery(source: "nobody", from: t, to: t + 1000)).isEmpty)
            #expect(try await store.failures(FailureQuery(source: "b1", from: t, to: t + 1000)).isEmpty)

            let timeout = try #require(all.first { $0.at == t + 100 })
            #expect(
                timeout
                    == StoredFailure(
                        source: "a1", destination: "b1", target: "tcp://b1:9301", kind: .tcp, result: .timeout, at: t + 100, sourcePort: 40_001,
                        detail: "no answer in 1s"))
            let slow = try #require(all.first { $0.at == t + 200 })
            #expect(slow.kind == .http)
            #expect(slow.result == .slow)
            #expect(slow.rttNanoseconds == 900_000_000)
            #expect(slow.sourcePort == nil)
            #expect(slow.detail == nil)
        }
    }

    /// Agents are listed by name (byte order) with their latest upload; the batch creation time
    /// only ever moves forward.
    func agentsKeepTheirLatestUpload() async throws {
        try await withStore { store in
            var first = Self.batch(id: "g-1", agent: "a-agent", lastUpload: 1_000_000, created: 999_000)
            first.agent.labels = ["tor": "t1"]
            _ = try await store.ingest(first)
            var later = Self.batch(id: "g-2", agent: "a-agent", lastUpload: 2_000_000, created: 500_000)
            later.agent.version = "2.0"
            later.agent.pinglistVersion = "v7"
            later.agent.labels = ["tor": "t2", "dc": "dc1"]
            _ = try await store.ingest(later)
            var other = Self.batch(id: "g-3", agent: "B-agent", lastUpload: 1_500_000, created: 1_400_000)
            other.agent.version = nil
            other.agent.pinglistVersion = nil
            _ = try await store.ingest(other)

            let agents = try await store.agents()
            #expect(agents.map(\.name) == ["B-agent", "a-agent"], "byte order: upper case first")
            #expect(
                agents.last
                    == AgentRecord(
                        name: "a-agent", version: "2.0", pinglistVersion: "v7", labels: ["tor": "t2", "dc": "dc1"], lastUpload: 2_000_000,
                        lastBatchCreated: 999_000))
            #expect(agents.first?.version == nil)
            #expect(agents.first?.pinglistVersion == nil)
        }
    }

    /// Placements are what the latest batch says about each server.
    func placementsFollowTheLatestBatch() async throws {
        try await withStore { store in
            _ = try await store.ingest(
                Self.batch(id: "p-1", placements: ["s1": ["tor": "t1", "dc": "dc1"], "b1": ["tor": "t2", "dc": "dc1"]]))
            _ = try await store.ingest(Self.batch(id: "p-2", placements: ["b1": ["tor": "t3", "dc": "dc1"], "b2": ["tor": "t3"]]))
            #expect(
                try await store.placements() == [
                    "s1": ["tor": "t1", "dc": "dc1"], "b1": ["tor": "t3", "dc": "dc1"], "b2": ["tor": "t3"],
                ])
        }
    }

    /// Retention deletes rows older than each resolution keeps (pairs, ports, failures, dirty
    /// marks), counts them, and keeps everything newer.
    func retentionDeletesOnlyOldRows() async throws {
        try await withStore { store in
            let now = Self.base + 100 * 86_400
            let old = now - 3 * 86_400 - (now - 3 * 86_400) % 600
            let recent = now - 600 - (now - 600) % 600
            _ = try await store.ingest(
                Self.batch(
                    id: "r-1",
                    rows: [Self.row("s1", "b1", minute: old, ok: 1, rtts: [10]), Self.row("s1", "b1", minute: recent, ok: 2, rtts: [10, 20])],
                    failures: [Self.failure("s1", "b1", at: old * 1000), Self.failure("s1", "b1", at: recent * 1000)],
                    ports: [
                        PortRow(window: old, source: "s1", destination: "b1", port: 40_000, sent: 1, failed: 1),
                        PortRow(window: recent, source: "s1", destination: "b1", port: 40_000, sent: 1, failed: 1),
                    ]))
            // Ten-minute rows are kept longer: the old one survives.
            try await store.replaceAggregates(
                level: .tor, resolution: .tenMinutes, window: old,
                with: [Self.row("t1", "t2", minute: old, ok: 3, rtts: [], level: .tor, resolution: .tenMinutes)])
            var retention = Retention()
            retention.minute = 86_400
            retention.failures = 86_400

            let deleted = try await store.enforceRetention(retention, now: now)
            #expect(deleted == 3, "one pair row, one port row, one failure")
            #expect(try await store.aggregates(level: .server, resolution: .minute, from: 0, to: now + 600).map(\.window) == [recent])
            #expect(try await store.aggregates(level: .tor, resolution: .tenMinutes, from: 0, to: now + 600).map(\.window) == [old])
            #expect(try await store.failures(FailureQuery(from: 0, to: Int64.max)).map(\.at) == [recent * 1000])
            #expect(try await store.dirtyWindows(resolution: .minute, limit: 10).map(\.window) == [recent])
            #expect(try await store.enforceRetention(retention, now: now) == 0, "nothing left to delete")
        }
    }

    /// A new store object on the same data (a restarted collector, another replica) sees
    /// everything, still knows which batches it has, and adds to the rows already there.
    func restartKeepsEverything() async throws {
        let minute = Self.base + 300
        try await withStore { store in
            _ = try await store.ingest(
                Self.batch(
                    id: "k-1", agent: "a1", rows: [Self.row("a1", "b1", minute: minute, ok: 1, timeout: 1, rtts: [100])],
                    failures: [Self.failure("a1", "b1", at: minute * 1000 + 5)], placements: ["a1": ["tor": "t1"], "b1": ["tor": "t2"]]))
            try await store.markDirty(resolution: .hour, windows: [minute - minute % 3600])
        }
        try await withStore { store in
            #expect(try await store.aggregates(level: .server, resolution: .minute, from: minute, to: minute + 60).map(\.counts.ok) == [1])
            #expect(try await store.failures(FailureQuery(source: "a1", destination: "b1", from: 0, to: Int64.max)).count == 1)
            #expect(try await store.placements()["b1"] == ["tor": "t2"])
            #expect(try await store.agents().map(\.name) == ["a1"])
            #expect(try await store.dirtyWindows(resolution: .hour, limit: 10).map(\.window) == [minute - minute % 3600])
            #expect(try await store.sizeBytes() > 0)

            #expect(try await !store.ingest(Self.batch(id: "k-1", agent: "a1")), "the batch is still known")
            #expect(try await store.ingest(Self.batch(id: "k-2", agent: "a1", rows: [Self.row("a1", "b1", minute: minute, ok: 2, rtts: [200, 300])])))
            let rows = try await store.aggregates(level: .server, resolution: .minute, from: minute, to: minute + 60)
            #expect(rows.map(\.counts) == [ResultCounts(ok: 3, timeout: 1)])
            #expect(rows.first?.rtt == Self.sketch([100, 200, 300]))
        }
    }

    /// Named documents keep their latest value under a version that grows; a lease belongs to
    /// one holder until it expires or is released, and its holder renews it.
    func stateAndLeases() async throws {
        try await withStore { store in
            #expect(try await store.loadState("incidents", newerThan: nil) == nil)
            let first = try await store.saveState("incidents", value: [1, 2, 3])
            let second = try await store.saveState("incidents", value: [4, 5])
            #expect(second > first)
            #expect(try await store.loadState("incidents", newerThan: nil) == StoredState(value: [4, 5], version: second))
            #expect(try await store.loadState("incidents", newerThan: first)?.value == [4, 5])
            #expect(try await store.loadState("incidents", newerThan: second) == nil, "nothing newer")
            #expect(try await store.loadState("other", newerThan: nil) == nil)

            #expect(try await store.acquireLease("analysis", holder: "a", now: 1000, seconds: 60))
            #expect(try await !store.acquireLease("analysis", holder: "b", now: 1030, seconds: 60))
            #expect(try await store.acquireLease("analysis", holder: "a", now: 1050, seconds: 60), "renewed")
            #expect(try await !store.acquireLease("analysis", holder: "b", now: 1100, seconds: 60), "the renewal moved the end to 1110")
            #expect(try await store.acquireLease("analysis", holder: "b", now: 1110, seconds: 60), "expired: taken over")
            #expect(try await !store.acquireLease("analysis", holder: "a", now: 1111, seconds: 60))
            try await store.releaseLease("analysis", holder: "a")
            #expect(try await !store.acquireLease("analysis", holder: "a", now: 1112, seconds: 60), "only the holder releases it")
            try await store.releaseLease("analysis", holder: "b")
            #expect(try await store.acquireLease("analysis", holder: "a", now: 1113, seconds: 60), "released: free at once")
        }
        try await withStore { store in
            let kept = try await store.loadState("incidents", newerThan: nil)
            #expect(kept?.value == [4, 5], "kept across a restart")
        }
    }

    /// Replicas asking for a free lease at the same moment: exactly one gets it.
    func leaseHasOneHolder(replicas: Int) async throws {
        var stores: [any ResultStore] = []
        for _ in 0..<replicas { stores.append(try await open()) }
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for (index, store) in stores.enumerated() {
                group.addTask { try await store.acquireLease("analysis", holder: "replica-\(index)", now: 5000, seconds: 60) }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        for store in stores { await close(store) }
        #expect(winners == 1)
    }

    /// Several replicas starting at once on empty data all prepare the schema without error.
    func concurrentPrepare(replicas: Int = 4) async throws {
        let stores = try await withThrowingTaskGroup(of: (any ResultStore).self) { group in
            for _ in 0..<replicas { group.addTask { try await open() } }
            var stores: [any ResultStore] = []
            for try await store in group { stores.append(store) }
            return stores
        }
        #expect(stores.count == replicas)
        for (index, store) in stores.enumerated() {
            #expect(try await store.ingest(Self.batch(id: "prepare-\(index)", rows: [Self.row("s1", "b1", minute: Self.base, ok: 1, rtts: [1])])))
        }
        #expect(try await stores[0].aggregates(level: .server, resolution: .minute, from: Self.base, to: Self.base + 60).first?.counts.ok == UInt64(replicas))
        for store in stores { await close(store) }
    }

    // MARK: Helpers

    /// Opens a store, runs `body`, and closes it whatever happens.
    /// Per-port counts come back for their minute only, names resolved, ports of one key summed.
    func portRowsOfAWindow() async throws {
        try await withStore { store in
            let minute = Self.base + 240
            let ports = [
                PortRow(window: minute, source: "s1", destination: "b1", port: 20_001, sent: 2, failed: 2),
                PortRow(window: minute, source: "s1", destination: "b1", port: 20_000, sent: 2, failed: 0),
                PortRow(window: minute + 60, source: "s1", destination: "b1", port: 20_000, sent: 3, failed: 1),
            ]
            _ = try await store.ingest(Self.batch(id: "p-1", rows: [Self.row("s1", "b1", minute: minute, ok: 2, timeout: 2, rtts: [100, 120])], ports: ports))
            _ = try await store.ingest(
                Self.batch(id: "p-2", ports: [PortRow(window: minute, source: "s1", destination: "b1", port: 20_001, sent: 1, failed: 1)]))
            let rows = try await store.portRows(window: minute)
            #expect(rows.map(\.port) == [20_000, 20_001])
            #expect(rows.allSatisfy { $0.source == "s1" && $0.destination == "b1" && $0.window == minute })
            #expect(rows.map(\.sent) == [2, 3] && rows.map(\.failed) == [0, 3])
            #expect(try await store.portRows(window: minute + 120).isEmpty)
        }
    }

    func withStore<T: Sendable>(_ body: (any ResultStore) async throws -> T) async throws -> T {
        let store = try await open()
        do {
            let result = try await body(store)
            await close(store)
            return result
        } catch {
            await close(store)
            throw error
        }
    }

    /// A minute boundary in November 2023, so that every check is reproducible.
    static let base: Int64 = 1_700_000_040

    static func sketch(_ microseconds: [UInt64]) -> LatencySketch {
        var sketch = LatencySketch()
        for value in microseconds { sketch.record(microseconds: value) }
        return sketch
    }

    static func row(
        _ source: String, _ destination: String, minute: Int64, ok: UInt64 = 0, timeout: UInt64 = 0, refused: UInt64 = 0, rtts: [UInt64],
        level: TopologyLevel = .server, resolution: Resolution = .minute
    ) -> PairAggregate {
        PairAggregate(
            level: level, resolution: resolution, window: minute, source: source, destination: destination, kind: .tcp,
            counts: ResultCounts(ok: ok, timeout: timeout, refused: refused), rtt: sketch(rtts))
    }

    static func failure(_ source: String, _ destination: String, at: Int64) -> StoredFailure {
        StoredFailure(source: source, destination: destination, target: "tcp://\(destination):9301", kind: .tcp, result: .timeout, at: at)
    }

    static func batch(
        id: String, agent: String = "s1", lastUpload: Int64 = base * 1000, created: Int64 = base * 1000, rows: [PairAggregate] = [],
        failures: [StoredFailure] = [], ports: [PortRow] = [], placements: [String: [String: String]] = [:]
    ) -> IngestBatch {
        IngestBatch(
            id: id,
            agent: AgentRecord(name: agent, version: "1.0", pinglistVersion: "v1", labels: [:], lastUpload: lastUpload, lastBatchCreated: created),
            rows: rows, failures: failures, ports: ports, placements: placements)
    }
}
