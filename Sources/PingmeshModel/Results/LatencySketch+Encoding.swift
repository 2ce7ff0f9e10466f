import Foundation

/// The compact form of a sketch, used on the wire (base64 in JSON) and in the stores.
///
/// Non-empty buckets in ascending order, each as two Exp-Golomb codes in one bit stream: the gap
/// from the previous bucket's number (`SketchBucketIndex`; the first gap counts from -1) and the
/// bucket's count, then zero bits to the next byte. A gap or a count of 1 costs one bit, 2 or 3
/// three bits. A minute of six probes costs about ten bytes; an hour of 360 probes spread over
/// 150-750 µs, where neighbouring buckets are mostly all occupied, about a hundred, a third of
/// the byte-aligned varints this replaced (see `init(legacyEncoded:)`). That is what keeps the
/// rows kept beyond two days under a byte per probe.
extension LatencySketch {
    public func encoded() -> [UInt8] {
        var writer = BitWriter(capacity: buckets.count)
        var previous: Int64 = -1
        for bucket in buckets {
            let index = Int64(SketchBucketIndex.index(of: bucket.value))
            writer.writeExpGolomb(UInt64(index - previous))
            writer.writeExpGolomb(bucket.samples)
            previous = index
        }
        return writer.finish()
    }

    /// Decodes `encoded()` output; a malformed sketch is an error that says why.
    public init(encoded bytes: some Collection<UInt8>) throws(SketchDecodingError) {
        self.init()
        let array = Array(bytes)
        buckets.reserveCapacity(array.count)
        if let error = array.withUnsafeBufferPointer({ decode(from: BitReader(bytes: $0)) }) { throw error }
    }

    /// Appends the buckets `reader` holds; the error, if the bits do not decode.
    private mutating func decode(from reader: BitReader) -> SketchDecodingError? {
        var reader = reader
        var previous: Int64 = -1
        while !reader.onlyPaddingLeft {
            guard let gap = reader.readExpGolomb() else { return .truncated }
            // previous + gap, checked first: a corrupt gap may be as large as 2^64 - 1.
            guard gap <= SketchBucketIndex.highestIndex + 1 else { return .invalidBucket(.max) }
            let index = UInt64(previous + 1) + gap - 1
            guard index <= SketchBucketIndex.highestIndex else { return .invalidBucket(.max) }
            guard let samples = reader.readExpGolomb() else { return .truncated }
            guard count <= UInt64.max - samples else { return .invalidCount }
            appendAscending(SketchBucketIndex.value(at: index), samples: samples)
            previous = Int64(index)
        }
        return nil
    }

    /// The compact form in base64, as JSON carries it.
    public var base64: String { Data(encoded()).base64EncodedString() }

    public init(base64 text: String) throws(SketchDecodingError) {
        guard let data = Data(base64Encoded: text) else { throw .notBase64 }
        try self.init(encoded: data)
    }
}

/// Why a sketch could not be decoded.
public enum SketchDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    case notBase64
    case truncated
    case unordered
    case invalidBucket(UInt64)
    case invalidCount

    public var description: String {
        switch self {
        case .notBase64: return "is not base64"
        case .truncated: return "ends inside a bucket"
        case .unordered: return "buckets are not in ascending order"
        case .invalidBucket(let value) where value == .max: return "a bucket lies beyond the 60 s layout"
        case .invalidBucket(let value): return "\(value) µs is not a bucket of the 2-digit 1 µs..60 s layout"
        case .invalidCount: return "a bucket count is invalid"
        }
    }
}

/// Bits written most significant first.
struct BitWriter {
    private var bytes: [UInt8] = []
    private var current: UInt8 = 0
    private var used = 0

    init(capacity buckets: Int) {
        bytes.reserveCapacity(buckets)
    }

    /// `value` >= 1 as floor(log2 value) zero bits, then its significant bits.
    mutating func writeExpGolomb(_ value: UInt64) {
        let width = 64 - value.leadingZeroBitCount
        for _ in 0..<(width - 1) { write(bit: 0) }
        var shift = width - 1
        while shift >= 0 {
            write(bit: UInt8((value >> UInt64(shift)) & 1))
            shift -= 1
        }
    }

    private mutating func write(bit: UInt8) {
        current = current << 1 | bit
        used += 1
        if used == 8 {
            bytes.append(current)
            current = 0
            used = 0
        }
    }

    /// The bytes, the last one padded with zero bits.
    mutating func finish() -> [UInt8] {
        if used > 0 {
            bytes.append(current << UInt8(8 - used))
            current = 0
            used = 0
        }
        return bytes
    }
}

/// Reads what `BitWriter` wrote, from `bytes[range]`, through a 64-bit buffer refilled a byte
/// at a time, so a one-bit code costs a shift, not a load. It borrows the bytes (valid only
/// while the caller's `withUnsafeBufferPointer` lasts): holding an array cost a retain and a
/// release per sketch, a sixth of a 300,000-cell matrix's percentile time.
struct BitReader {
    let bytes: UnsafeBufferPointer<UInt8>
    /// The next byte to load into the buffer, and the end of the range.
    private var nextByte: Int
    private let endByte: Int
    /// Upcoming bits, left-aligned; `buffered` of them are valid, the rest zero.
    private var buffer: UInt64 = 0
    private var buffered = 0

    init(bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>? = nil) {
        self.bytes = bytes
        let range = range ?? 0..<bytes.count
        nextByte = range.lowerBound
        endByte = range.upperBound
    }

    private var remainingBits: Int { buffered + (endByte - nextByte) * 8 }

    /// True at the end, or when only the last byte's zero padding is left: a code always holds a
    /// one bit, so fewer than eight trailing zeros cannot start one.
    var onlyPaddingLeft: Bool {
        mutating get {
            refill()
            return remainingBits < 8 && buffer == 0
        }
    }

    private mutating func refill() {
        while buffered <= 56 && nextByte < endByte {
            buffer |= UInt64(bytes[nextByte]) << UInt64(56 - buffered)
            buffered += 8
            nextByte += 1
        }
    }

    private mutating func consume(_ count: Int) {
        buffer = count >= 64 ? 0 : buffer << UInt64(count)
        buffered -= count
    }

    /// `count` (1...64) bits as a number; the caller has checked that they are there.
    private mutating func read(_ count: Int) -> UInt64 {
        var value: UInt64 = 0
        var left = count
        while left > 0 {
            refill()
            let take = min(left, 56)
            value = (take == 64 ? 0 : value << UInt64(take)) | buffer >> UInt64(64 - take)
            consume(take)
            left -= take
        }
        return value
    }

    /// Nil when the bits end inside the code or it would not fit 64 bits.
    mutating func readExpGolomb() -> UInt64? {
        var zeros = 0
        while true {
            refill()
            guard buffered > 0 else { return nil }
            if buffer != 0 {
                let run = buffer.leadingZeroBitCount
                zeros += run
                consume(run)
                break
            }
            // A run of zeros longer than the buffer: only a corrupt or a huge value has one.
            zeros += buffered
            consume(buffered)
            guard zeros < 64 else { return nil }
        }
        guard zeros < 64, remainingBits >= zeros + 1 else { return nil }
        return read(zeros + 1)
    }
}
