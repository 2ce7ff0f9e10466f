import Testing

@testable import PingmeshModel

@Suite("RTT summary of a probe run")
struct RTTSummaryTests {
    @Test("jitter is the mean change between successive RTTs, as windows measure it; percentiles are nearest-rank")
    func figures() throws {
        let summary = try #require(RTTSummary([1, 3, 2, 6].map { Duration.milliseconds($0) }))
        #expect(summary.count == 4)
        #expect(summary.minimum == .milliseconds(1))
        #expect(summary.maximum == .milliseconds(6))
        #expect(abs(summary.mean.seconds - 0.003) < 1e-9)
        #expect(summary.p50 == .milliseconds(2))
        #expect(summary.p99 == .milliseconds(6))
        // |3-1| + |2-3| + |6-2| = 7 ms over 3 pairs.
        #expect(abs(try #require(summary.jitter).seconds - 0.007 / 3) < 1e-9)
        // Deviations -2, 0, -1, 3 ms: variance 14/4 ms².
        #expect(abs(summary.standardDeviation.seconds - (3.5e-6).squareRoot()) < 1e-9)
    }

    @Test("jitter matches what a window records for the same RTTs")
    func sameAsWindows() throws {
        let rtts: [Duration] = [.microseconds(120), .microseconds(480), .microseconds(130), .microseconds(135)]
        var pairs: UInt64 = 0
        var sum: UInt64 = 0
        for (earlier, later) in zip(rtts, rtts.dropFirst()) {
            pairs += 1
            sum += UInt64(abs((later - earlier).components.attoseconds / 1_000_000_000))
        }
        let window = ResultCounts(ok: UInt64(rtts.count), jitterPairs: pairs, jitterNanoseconds: sum)
        let summary = try #require(RTTSummary(rtts))
        #expect(abs(try #require(summary.jitter).seconds - (try #require(window.jitterSeconds))) < 1e-9)
    }

    @Test("no answers: no summary; one answer: no jitter, no spread")
    func edges() throws {
        #expect(RTTSummary([]) == nil)
        let one = try #require(RTTSummary([.milliseconds(5)]))
        #expect(one.jitter == nil)
        #expect(one.standardDeviation == .zero)
        #expect(one.p50 == .milliseconds(5) && one.p99 == .milliseconds(5))
    }
}
