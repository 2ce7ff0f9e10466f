import Foundation
import PingmeshModel

/// Builds valid result batches for the collector tests.
enum BatchFactory {
    static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    /// The start of the minute `minutesAgo` before now.
    static func minute(_ minutesAgo: Int64) -> Int64 { (now / 60 - minutesAgo) * 60 }

    static func sketch(_ microseconds: [UInt64]) -> LatencySketch {
        var sketch = LatencySketch()
        for value in microseconds { sketch.record(microseconds: value) }
        return sketch
    }

    /// A sketch in the legacy varint form, as a schema-1 store holds it.
    static func legacyHex(_ sketch: LatencySketch) -> String {
        var bytes: [UInt8] = []
        func varint(_ value: UInt64) {
            var value = value
            while value >= 0x80 {
                bytes.append(UInt8(value & 0x7F) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
        }
        var previous: UInt64 = 0
        for bucket in sketch.buckets {
            varint((bucket.value - previous) << 1 | (bucket.samples == 1 ? 0 : 1))
            if bucket.samples != 1 { varint(bucket.samples) }
            previous = bucket.value
        }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func summary(
        to peer: String, start: Int64, rtts: [UInt64], timeouts: UInt64 = 0, tor: String? = nil, dc: String = "dc1", podset: String = "ps1"
    ) -> WindowSummary {
        var labels = ["dc": dc, "podset": podset]
        if let tor { labels["tor"] = tor; labels["pod"] = tor }
        return WindowSummary(
            start: start, seconds: 60, target: "tcp://\(peer):9301", name: peer, kind: .tcp, labels: labels,
            counts: ResultCounts(ok: UInt64(rtts.count), timeout: timeouts), rtt: sketch(rtts),
            minRTTNanoseconds: rtts.min().map { Int64($0) * 1000 }, maxRTTNanoseconds: rtts.max().map { Int64($0) * 1000 })
    }

    static func batch(
        id: String = UUID().uuidString, agent: String, labels: [String: String] = [:], windows: [WindowSummary], failures: [FailureRecord] = []
    ) -> ResultBatch {
        ResultBatch(
            id: id, agent: agent, agentVersion: "test", pinglistVersion: "v1", labels: labels, createdAt: now * 1000, windows: windows,
            failures: failures)
    }
}
