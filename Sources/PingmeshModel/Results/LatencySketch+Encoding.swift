import Foundation

/// The compact form of a sketch, used on the wire (base64 in JSON) and in the stores. Buckets in
/// ascending order, each as varint((bucket - previous) << 1 | manyFlag), then varint(count) only
/// when the count is not 1. A window of a few probes at distinct RTTs costs about two bytes a
/// probe, which is what keeps stored summaries under the raw probes they replace.
extension LatencySketch {
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(buckets.count * 3)
        var previous: UInt64 = 0
        for bucket in buckets {
            Varint.append((bucket.value - previous) << 1 | (bucket.samples == 1 ? 0 : 1), to: &bytes)
            if bucket.samples != 1 { Varint.append(bucket.samples, to: &bytes) }
            previous = bucket.value
        }
        return bytes
    }

    /// Decodes `encoded()` output; a malformed sketch is an error that says why.
    public init(encoded bytes: some Collection<UInt8>) throws(SketchDecodingError) {
        self.init()
        var reader = Varint.Reader(bytes: Array(bytes))
        buckets.reserveCapacity(bytes.count / 2)
        var previous: UInt64 = 0
        var first = true
        while !reader.isAtEnd {
            guard let head = reader.next() else { throw .truncated }
            let delta = head >> 1
            guard first || delta > 0 else { throw .unordered }
            let bucket = previous &+ delta
            guard bucket >= previous, Self.isBucket(bucket) else { throw .invalidBucket(bucket) }
            var samples: UInt64 = 1
            if head & 1 == 1 {
                guard let many = reader.next() else { throw .truncated }
                guard many > 1 else { throw .invalidCount }
                samples = many
            }
            guard count <= UInt64.max - samples else { throw .invalidCount }
            appendAscending(bucket, samples: samples)
            previous = bucket
            first = false
        }
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
        case .invalidBucket(let value): return "\(value) µs is not a bucket of the 2-digit 1 µs..60 s layout"
        case .invalidCount: return "a bucket count is invalid"
        }
    }
}

/// Unsigned LEB128 varints.
enum Varint {
    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    struct Reader {
        let bytes: [UInt8]
        var position = 0

        var isAtEnd: Bool { position >= bytes.count }

        mutating func next() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                guard shift < 64 else { return nil }
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
    }
}
