import Histogram

/// A mergeable latency distribution: HDR histogram buckets (two significant digits, 1 µs to
/// 60 s) kept sparse, as bucket -> count. Agents record into it, the wire and the stores carry
/// only non-empty buckets, and merging two sketches adds counts bucket by bucket, so a
/// percentile of merged windows equals the percentile of the union of their samples to the
/// histogram's precision, at every rollup level.
public struct LatencySketch: Sendable, Hashable {
    /// Non-empty buckets in ascending order: the lowest value of the bucket (µs) and its samples.
    /// Sorted arrays rather than a dictionary: merging is a linear walk and a quantile a prefix sum,
    /// with no hashing or sorting on the collector's hot path.
    public internal(set) var buckets: [Bucket] = []
    /// Samples recorded.
    public internal(set) var count: UInt64 = 0

    /// One non-empty bucket.
    public struct Bucket: Sendable, Hashable {
        public var value: UInt64
        public var samples: UInt64
    }

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
        let bucket = Self.layout.lowestEquivalentForValue(min(microseconds, Self.highestMicroseconds))
        count += samples
        if let last = buckets.last, last.value < bucket {
            buckets.append(Bucket(value: bucket, samples: samples))
            return
        }
        var low = 0
        var high = buckets.count
        while low < high {
            let middle = (low + high) / 2
            if buckets[middle].value < bucket { low = middle + 1 } else { high = middle }
        }
        if low < buckets.count, buckets[low].value == bucket {
            buckets[low].samples += samples
        } else {
            buckets.insert(Bucket(value: bucket, samples: samples), at: low)
        }
    }

    /// Adds every sample of `other`.
    public mutating func merge(_ other: LatencySketch) {
        guard !other.buckets.isEmpty else { return }
        guard !buckets.isEmpty else {
            self = other
            return
        }
        var merged: [Bucket] = []
        merged.reserveCapacity(buckets.count + other.buckets.count)
        var i = 0
        var j = 0
        while i < buckets.count || j < other.buckets.count {
            if j == other.buckets.count || (i < buckets.count && buckets[i].value < other.buckets[j].value) {
                merged.append(buckets[i])
                i += 1
            } else if i == buckets.count || other.buckets[j].value < buckets[i].value {
                merged.append(other.buckets[j])
                j += 1
            } else {
                merged.append(Bucket(value: buckets[i].value, samples: buckets[i].samples + other.buckets[j].samples))
                i += 1
                j += 1
            }
        }
        buckets = merged
        count += other.count
    }

    /// The value at `quantile` (0...1) in µs, as HDR histograms report it (the highest value
    /// equivalent to the bucket holding that rank); nil when empty.
    public func quantileMicroseconds(_ quantile: Double) -> UInt64? {
        guard count > 0 else { return nil }
        if quantile <= 0 { return buckets.first?.value }
        let clampedQuantile = min(quantile, 1).nextDown
        let rank = max(1, UInt64((clampedQuantile * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for bucket in buckets {
            seen += bucket.samples
            if seen >= rank { return Self.layout.highestEquivalentForValue(bucket.value) }
        }
        return buckets.last.map { Self.layout.highestEquivalentForValue($0.value) }
    }

    /// The value at `quantile` in seconds, for metrics and the API.
    public func quantileSeconds(_ quantile: Double) -> Double? {
        quantileMicroseconds(quantile).map { Double($0) / 1e6 }
    }

    /// The lowest and highest bucket, in µs.
    public var minimumMicroseconds: UInt64? { buckets.first?.value }
    public var maximumMicroseconds: UInt64? { buckets.last.map { Self.layout.highestEquivalentForValue($0.value) } }

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

    /// Appends a bucket above every bucket held (decoding builds sketches this way).
    mutating func appendAscending(_ value: UInt64, samples: UInt64) {
        buckets.append(Bucket(value: value, samples: samples))
        count += samples
    }
}
