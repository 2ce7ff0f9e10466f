extension LatencySketch {
    /// The value at `quantile` (µs) of the sketch encoded in `bytes[range]`, read straight from
    /// the bits: a matrix of 300,000 single-window cells needs one figure from each, and building
    /// each sketch first would cost an allocation per cell. Same answer as
    /// `LatencySketch(encoded:).quantileMicroseconds(_:)`; nil when empty, and for bytes that do
    /// not decode.
    ///
    /// `expectedCount`, when the caller knows how many samples the sketch should hold (the
    /// answered probes of its row), saves the pass that counts them; a sketch that turns out to
    /// hold another number is read again with its own count.
    public static func quantileMicroseconds(encoded bytes: [UInt8], range: Range<Int>, quantile: Double, expectedCount: UInt64? = nil) -> UInt64? {
        bytes.withUnsafeBufferPointer { quantileMicroseconds(encoded: $0, range: range, quantile: quantile, expectedCount: expectedCount) }
    }

    /// The same, over borrowed bytes: a caller reading many sketches from one buffer borrows it
    /// once for all of them.
    public static func quantileMicroseconds(
        encoded bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, quantile: Double, expectedCount: UInt64? = nil
    ) -> UInt64? {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "sketch range outside its buffer")
        // The minimum is the lowest value of the first bucket, as `quantileMicroseconds(_:)` has it.
        if quantile <= 0 {
            return bucketAtRank(bytes, range, rank: 1, stopEarly: true).map { SketchBucketIndex.value(at: $0.0) }
        }
        if let expectedCount, expectedCount > 0,
            let (index, total) = bucketAtRank(bytes, range, rank: rank(quantile, of: expectedCount), stopEarly: false),
            total == expectedCount
        {
            return highestValue(ofBucket: index)
        }
        guard let (_, total) = bucketAtRank(bytes, range, rank: .max, stopEarly: false), total > 0,
            let (index, _) = bucketAtRank(bytes, range, rank: rank(quantile, of: total), stopEarly: true)
        else { return nil }
        return highestValue(ofBucket: index)
    }

    /// The rank of `quantile` (> 0) among `count` samples, as `quantileMicroseconds(_:)` takes it.
    private static func rank(_ quantile: Double, of count: UInt64) -> UInt64 {
        max(1, UInt64((min(quantile, 1).nextDown * Double(count)).rounded(.up)))
    }

    /// The number of the bucket where the running count reaches `rank`, and the samples counted; nil for an empty sketch or bytes that do not decode.
    /// Without `stopEarly` the walk goes to the end, so the total is the sketch's.
    private static func bucketAtRank(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, rank: UInt64, stopEarly: Bool) -> (UInt64, UInt64)? {
        var reader = BitReader(bytes: bytes, range: range)
        var next: UInt64 = 0
        var seen: UInt64 = 0
        var found: UInt64?
        while !reader.onlyPaddingLeft {
            guard let gap = reader.readExpGolomb(), gap <= SketchBucketIndex.highestIndex + 1, let samples = reader.readExpGolomb() else {
                return nil
            }
            let index = next + gap - 1
            guard index <= SketchBucketIndex.highestIndex, seen <= UInt64.max - samples else { return nil }
            seen += samples
            if found == nil && seen >= rank {
                found = index
                if stopEarly { return (index, seen) }
            }
            next = index + 1
        }
        guard seen > 0 else { return nil }
        return (found ?? next - 1, seen)
    }

    /// The highest value of bucket number `index`, as HDR reports a percentile.
    private static func highestValue(ofBucket index: UInt64) -> UInt64 {
        index < SketchBucketIndex.highestIndex
            ? SketchBucketIndex.value(at: index + 1) - 1 : layout.highestEquivalentForValue(SketchBucketIndex.value(at: index))
    }
}
