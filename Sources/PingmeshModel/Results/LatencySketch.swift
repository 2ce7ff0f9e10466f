import Histogram

/// A mergeable latency distribution: HDR histogram buckets (two significant digits, 1 µs to
/// 60 s) kept sparse, as bucket -> count. Agents record into it, the wire and the stores carry
/// only non-empty buckets, and merging two sketches adds counts bucket by bucket, so a
/// percentile of merged windows equals the percentile of the union of their samples to the
/// histogram's precision, at every rollup level.
public struct LatencySketch: Sendable, Hashable {
    /// Non-empty buckets: the lowest value of the bucket (µs) -> samples in it.
    public private(set) var buckets: [UInt64: UInt64] = [:]
    /// Samples recorded.
    public private(set) var count: UInt64 = 0

    /// The bucket layout every sketch shares; only its value-to-bucket arithmetic is used.
    public static let layout = Histogram<UInt32>(
        lowestDiscernibleValue: 1, highestTrackableValue: highestMicroseconds, numberOfSignificantValueDigits: .two)
    /// 60 s: anything slower is clamped here (probes time out long before).
    public static let highestMicroseconds: UInt64 = 60_000_000

    public init() {}

    public var isEmpty: Bool { count == 0 }

    /// Records one RTT.
    public mutating func record(_ rtt: Duration) {
        record(microseconds: Self.microseconds(rtt))
    }

    public mutating func record(microseconds: UInt64, count samples: UInt64 = 1) {
        guard samples > 0 else { return }
        let clamped = min(max(microseconds, 0), Self.highestMicroseconds)
        buckets[Self.layout.lowestEquivalentForValue(clamped), default: 0] += samples
        count += samples
    }

    /// Adds every sample of `other`.
    public mutating func merge(_ other: LatencySketch) {
        for (bucket, samples) in other.buckets { buckets[bucket, default: 0] += samples }
        count += other.count
    }

    /// The value at `quantile` (0...1) in µs, as HDR histograms report it (the highest value
    /// equivalent to the bucket holding that rank); nil when empty.
    public func quantileMicroseconds(_ quantile: Double) -> UInt64? {
        guard count > 0 else { return nil }
        let ordered = buckets.keys.sorted()
        if quantile <= 0 { return ordered.first }
        let clampedQuantile = min(quantile, 1).nextDown
        let rank = max(1, UInt64((clampedQuantile * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for bucket in ordered {
            seen += buckets[bucket]!
            if seen >= rank { return Self.layout.highestEquivalentForValue(bucket) }
        }
        return ordered.last.map { Self.layout.highestEquivalentForValue($0) }
    }

    /// The value at `quantile` in seconds, for metrics and the API.
    public func quantileSeconds(_ quantile: Double) -> Double? {
        quantileMicroseconds(quantile).map { Double($0) / 1e6 }
    }

    /// The lowest and highest bucket, in µs.
    public var minimumMicroseconds: UInt64? { buckets.keys.min() }
    public var maximumMicroseconds: UInt64? { buckets.keys.max().map { Self.layout.highestEquivalentForValue($0) } }

    /// Whole microseconds of a duration, never negative.
    public static func microseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000 &+ UInt64(max(0, attoseconds) / 1_000_000_000_000)
    }

    /// Whether `value` is the lowest value of a bucket of the shared layout.
    static func isBucket(_ value: UInt64) -> Bool {
        value <= highestMicroseconds && layout.lowestEquivalentForValue(value) == value
    }
}
