import Foundation
import Testing

@testable import PingmeshAgent
@testable import PingmeshModel
@testable import PingmeshProbe

/// Jitter is the mean absolute RTT difference of successive answered probes of a target (RFC
/// 3393's IPDV, averaged): the window carries the pairs and their summed differences, which add
/// across windows and levels.
@Suite("Window aggregator: jitter")
struct JitterAggregationTests {
    @Test("successive answered probes give the jitter; a lost probe between them is skipped, not a pair")
    func successiveDifferences() throws {
        let aggregator = WindowAggregatorTests.aggregator()
        let peer = WindowAggregatorTests.target("10.0.0.9")
        // 1,000 -> 1,400 -> (timeout) -> 1,100 -> 1,100 us: differences 400, 300, 0.
        aggregator.record(WindowAggregatorTests.ok(1_000), for: peer, sentAt: WindowAggregatorTests.at(0))
        aggregator.record(WindowAggregatorTests.ok(1_400), for: peer, sentAt: WindowAggregatorTests.at(10))
        aggregator.record(ProbeOutcome(result: .timeout, detail: "no answer"), for: peer, sentAt: WindowAggregatorTests.at(20))
        aggregator.record(WindowAggregatorTests.ok(1_100), for: peer, sentAt: WindowAggregatorTests.at(30))
        aggregator.record(WindowAggregatorTests.ok(1_100), for: peer, sentAt: WindowAggregatorTests.at(40))
        var resent = ProbeOutcome(result: .retransmitted, rtt: .milliseconds(1_003), connectRTT: .milliseconds(1_003), sourcePort: 20_001)
        resent.synRetransmits = 1
        aggregator.record(resent, for: peer, sentAt: WindowAggregatorTests.at(50))

        let batches = aggregator.flush(now: WindowAggregatorTests.at(60))
        WindowAggregatorTests.expectValid(batches)
        let counts = try #require(batches.first?.windows.first?.counts)
        #expect(counts.jitterPairs == 3, "the retransmitted handshake is a timer, not an RTT: no pair")
        #expect(counts.jitterNanoseconds == 700_000)
        #expect(counts.jitterSeconds.map { abs($0 - 0.000_233_333) < 1e-9 } == true)
    }

    @Test("each target has its own jitter, and one answer alone has none")
    func perTarget() throws {
        let aggregator = WindowAggregatorTests.aggregator()
        let steady = WindowAggregatorTests.target("10.0.0.1")
        let lonely = WindowAggregatorTests.target("10.0.0.2")
        for (index, rtt) in [500, 900, 500].enumerated() {
            aggregator.record(WindowAggregatorTests.ok(Int64(rtt)), for: steady, sentAt: WindowAggregatorTests.at(Double(index)))
        }
        aggregator.record(WindowAggregatorTests.ok(700), for: lonely, sentAt: WindowAggregatorTests.at(1))
        let windows = try #require(aggregator.flush(now: WindowAggregatorTests.at(60)).first?.windows)
        let byName = Dictionary(uniqueKeysWithValues: windows.map { ($0.name, $0.counts) })
        #expect(byName["server-10.0.0.1"]?.jitterPairs == 2 && byName["server-10.0.0.1"]?.jitterNanoseconds == 800_000)
        #expect(byName["server-10.0.0.2"]?.jitterPairs == 0 && byName["server-10.0.0.2"]?.jitterSeconds == nil)
    }

    @Test("the jitter survives the wire format, is omitted while 0, and adds across windows")
    func wireFormat() throws {
        let counts = ResultCounts(ok: 5, jitterPairs: 4, jitterNanoseconds: 12_000)
        let data = try JSONEncoder().encode(counts)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"jitter_pairs\":4") && text.contains("\"jitter_sum_ns\":12000"))
        #expect(try JSONDecoder().decode(ResultCounts.self, from: data) == counts)
        #expect(!String(decoding: try JSONEncoder().encode(ResultCounts(ok: 1)), as: UTF8.self).contains("jitter"))
        var merged = counts
        merged.add(ResultCounts(ok: 2, jitterPairs: 1, jitterNanoseconds: 3_000))
        #expect(merged.jitterPairs == 5 && merged.jitterNanoseconds == 15_000 && merged.jitterSeconds == 3e-6)
    }

    @Test("more pairs than answered probes, or differences with no pair, are refused naming the field")
    func inconsistentJitterRejected() {
        let tooMany = #"{"ok":2,"slow":0,"timeout":0,"refused":0,"unreachable":0,"error":0,"jitter_pairs":3,"jitter_sum_ns":10}"#
        #expect {
            try JSONDecoder().decode(ResultCounts.self, from: Data(tooMany.utf8))
        } throws: { error in
            "\(error)".contains("jitter_pairs") && "\(error)".contains("above the answered probes")
        }
        let orphan = #"{"ok":2,"slow":0,"timeout":0,"refused":0,"unreachable":0,"error":0,"jitter_sum_ns":10}"#
        #expect {
            try JSONDecoder().decode(ResultCounts.self, from: Data(orphan.utf8))
        } throws: { error in
            "\(error)".contains("jitter_sum_ns")
        }
    }
}
