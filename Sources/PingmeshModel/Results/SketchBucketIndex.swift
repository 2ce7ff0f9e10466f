/// Bucket values of the sketch's HDR layout (two significant digits, unit 1 µs) numbered 0, 1,
/// 2, ... in ascending order, so neighbouring buckets differ by one whatever their width. The
/// compact encoding stores gaps between these numbers, which are small for any real distribution.
///
/// The arithmetic is HDR's: 256 sub-buckets, the upper 128 of each doubling of the range
/// reused at twice the width of the previous one.
enum SketchBucketIndex {
    static let subBucketHalfCountMagnitude = 7
    static let subBucketHalfCount: UInt64 = 1 << 7
    static let subBucketMask: UInt64 = (1 << 8) - 1

    /// The number of the bucket holding `value` (µs).
    static func index(of value: UInt64) -> UInt64 {
        let bucket = UInt64(56 - (value | subBucketMask).leadingZeroBitCount)
        let subBucket = value >> bucket
        return ((bucket + 1) << subBucketHalfCountMagnitude) + subBucket - subBucketHalfCount
    }

    /// The lowest value of bucket number `index`.
    static func value(at index: UInt64) -> UInt64 {
        var bucket = Int(index >> subBucketHalfCountMagnitude) - 1
        var subBucket = (index & (subBucketHalfCount - 1)) + subBucketHalfCount
        if bucket < 0 {
            subBucket -= subBucketHalfCount
            bucket = 0
        }
        return subBucket << bucket
    }

    /// The number of the highest bucket (60 s).
    static let highestIndex = index(of: LatencySketch.highestMicroseconds)
}
