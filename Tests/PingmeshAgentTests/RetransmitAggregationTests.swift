import Foundation
import Testing

@testable import PingmeshAgent
@testable import PingmeshModel
@testable import PingmeshProbe

/// A TCP probe answered only after the kernel resent its SYN is Pingmesh's lost packet: the
/// window counts it and its resent SYNs, keeps its handshake time out of the latency sketch, and
/// keeps its 5-tuple in a failure record so an incident can trace it.
@Suite("Window aggregator: resent SYNs")
struct RetransmitAggregationTests {
    @Test("a retransmitted handshake is counted, not timed, and its 5-tuple is kept")
    func retransmittedIsLossNotLatency() throws {
        let aggregator = WindowAggregatorTests.aggregator()
        let peer = WindowAggregatorTests.target("10.0.0.7")
        for index in 0..<8 { aggregator.record(WindowAggregatorTests.ok(150, port: 20_000 + index), for: peer, sentAt: WindowAggregatorTests.at(Double(index))) }
        var resent = ProbeOutcome(result: .retransmitted, rtt: .milliseconds(1_003), connectRTT: .milliseconds(1_003), sourcePort: 20_001)
        resent.synRetransmits = 1
        aggregator.record(resent, for: peer, sentAt: WindowAggregatorTests.at(10))
        var twice = ProbeOutcome(result: .retransmitted, rtt: .milliseconds(3_004), connectRTT: .milliseconds(3_004), sourcePort: 20_002)
        twice.synRetransmits = 2
        aggregator.record(twice, for: peer, sentAt: WindowAggregatorTests.at(11))

        let batches = aggregator.flush(now: WindowAggregatorTests.at(60))
        WindowAggregatorTests.expectValid(batches)
        let summary = try #require(batches.first?.windows.first)
        #expect(summary.counts.ok == 8 && summary.counts.retransmitted == 2 && summary.counts.synRetransmits == 3)
        #expect(summary.counts.total == 10 && summary.counts.answered == 8 && summary.counts.failed == 0)
        #expect(summary.rtt.count == 8, "the 1 s and 3 s handshakes are retransmission timers, not latency")
        #expect(summary.maxRTTNanoseconds == 150_000)
        // 3 resent SYNs lost of 13 SYNs sent.
        #expect(summary.counts.packetsSent == 13 && summary.counts.packetsLost == 3)
        #expect(summary.counts.lossRatio == 3.0 / 13.0)
        let records = try #require(batches.first?.failures)
        #expect(records.map(\.result) == [.retransmitted, .retransmitted])
        #expect(records.map(\.sourcePort) == [20_001, 20_002])
        #expect(summary.ports.isEmpty, "no port failed: every probe got through")
    }

    @Test("the summary's resent SYNs survive the wire format, and an older agent's upload still decodes")
    func wireFormat() throws {
        let counts = ResultCounts(ok: 5, timeout: 1, retransmitted: 1, synRetransmits: 2)
        let data = try JSONEncoder().encode(counts)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"retransmitted\":1") && text.contains("\"syn_retransmits\":2"))
        #expect(try JSONDecoder().decode(ResultCounts.self, from: data) == counts)
        let plain = String(decoding: try JSONEncoder().encode(ResultCounts(ok: 3)), as: UTF8.self)
        #expect(!plain.contains("retransmit"), "omitted while 0, so a collector that predates them takes the upload")
        #expect(try JSONDecoder().decode(ResultCounts.self, from: Data(#"{"ok":3,"slow":0,"timeout":0,"refused":0,"unreachable":0,"error":0}"#.utf8)) == ResultCounts(ok: 3))
    }

    @Test("fewer resent SYNs than retransmitted probes is refused, naming the field")
    func inconsistentCountsRejected() {
        let text = #"{"ok":1,"slow":0,"timeout":0,"refused":0,"unreachable":0,"error":0,"retransmitted":2,"syn_retransmits":1}"#
        #expect {
            try JSONDecoder().decode(ResultCounts.self, from: Data(text.utf8))
        } throws: { error in
            "\(error)".contains("syn_retransmits") && "\(error)".contains("below retransmitted")
        }
    }

    @Test("loss is lost packets over sent packets: failed probes plus resent SYNs")
    func lossFormula() {
        #expect(ResultCounts(ok: 98, timeout: 2).lossRatio == 0.02)
        let counts = ResultCounts(ok: 97, timeout: 1, retransmitted: 2, synRetransmits: 2)
        #expect(counts.packetsSent == 102 && counts.packetsLost == 3)
        #expect(counts.lossRatio == 3.0 / 102.0)
        #expect(ResultCounts().lossRatio == nil)
        var merged = counts
        merged.add(ResultCounts(ok: 1, retransmitted: 1, synRetransmits: 1))
        #expect(merged.retransmitted == 3 && merged.synRetransmits == 3 && merged.total == 102)
    }
}
