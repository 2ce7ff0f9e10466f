import Foundation
import PingmeshCollector
import Testing

/// The store conformance checks that PostgreSQL passes, against SQLite: one file per test, opened
/// again for the restart and replica checks.
@Suite("SQLite store conformance")
struct SQLiteConformanceTests {
    static func conformance() -> StoreConformance {
        let path = TemporaryStore.path()
        return StoreConformance(open: { try await TemporaryStore.sqlite(at: path) })
    }

    @Test func duplicateBatchIsIgnored() async throws { try await Self.conformance().duplicateBatchIsIgnored() }
    @Test func sameKeyAddsUp() async throws { try await Self.conformance().sameKeyAddsUp() }
    @Test func concurrentIngestsLoseNothing() async throws { try await Self.conformance().concurrentIngestsLoseNothing(replicas: 2) }
    @Test func concurrentReplacementsKeepOneWholeResult() async throws { try await Self.conformance().concurrentReplacementsKeepOneWholeResult() }
    @Test func replaceAggregatesReplacesOneWindow() async throws { try await Self.conformance().replaceAggregatesReplacesOneWindow() }
    @Test func dirtyGenerations() async throws { try await Self.conformance().dirtyGenerations() }
    @Test func failureQueries() async throws { try await Self.conformance().failureQueries() }
    @Test func agentsKeepTheirLatestUpload() async throws { try await Self.conformance().agentsKeepTheirLatestUpload() }
    @Test func placementsFollowTheLatestBatch() async throws { try await Self.conformance().placementsFollowTheLatestBatch() }
    @Test func retentionDeletesOnlyOldRows() async throws { try await Self.conformance().retentionDeletesOnlyOldRows() }
    @Test func restartKeepsEverything() async throws { try await Self.conformance().restartKeepsEverything() }
    @Test func concurrentPrepare() async throws { try await Self.conformance().concurrentPrepare() }
    @Test func unresolvedCountsKept() async throws { try await Self.conformance().unresolvedCountsKept() }
    @Test func compactAggregatesMatchAggregates() async throws { try await Self.conformance().compactAggregatesMatchAggregates() }
    @Test func portRowsOfAWindow() async throws { try await Self.conformance().portRowsOfAWindow() }
    @Test func stateAndLeases() async throws { try await Self.conformance().stateAndLeases() }
    @Test func leaseHasOneHolder() async throws { try await Self.conformance().leaseHasOneHolder(replicas: 4) }
}
