import Foundation

/// The first compact form of a sketch (schema version 1 of the stores): buckets in ascending
/// order, each as varint((bucket - previous) << 1 | manyFlag), then varint(count) only when the
/// count is not 1. Kept only so that stores written by earlier releases can be re-encoded.
extension LatencySketch {
    public init(legacyEncoded bytes: some Collection<UInt8>) throws(SketchDecodingError) {
        self.init()
        var reader = Varint.Reader(bytes: Array(bytes))
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
}

/// Unsigned LEB128 varints, as the legacy form wrote them.
enum Varint {
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
