import Foundation
import Histogram
import PingmeshModel
import Testing

@Suite("Latency sketch")
struct LatencySketchTests {
    @Test("merged windows give the percentiles of the union of their samples, as an HDR histogram of the union does")
    func mergeMatchesUnion() {
        var random = SplitMix64(seed: 42)
        var union = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: LatencySketch.highestMicroseconds, numberOfSignificantValueDigits: .two)
        var merged = LatencySketch()
        for _ in 0..<200 {
            var window = LatencySketch()
            for _ in 0..<Int.random(in: 1...40, using: &random) {
                // Mostly tens to hundreds of µs, with a tail into milliseconds and a rare second.
                let base = UInt64.random(in: 20...900, using: &random)
                let value = Int.random(in: 0..<100, using: &random) < 3 ? base * UInt64.random(in: 10...2000, using: &random) : base
                window.record(microseconds: value)
                _ = union.record(value)
            }
            // Through the wire form, as the collector gets it.
            merged.merge(try! LatencySketch(encoded: window.encoded()))
        }
        #expect(merged.count == union.totalCount)
        for quantile in [0.0, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0] {
            let mine = merged.quantileMicroseconds(quantile)!
            let theirs = union.valueAtPercentile(quantile * 100)
            #expect(union.valuesAreEquivalent(mine, theirs), "q\(quantile): sketch \(mine) µs, HDR \(theirs) µs")
        }
    }

    @Test("the compact form round-trips: about ten bytes for a minute of six probes")
    func compactForm() throws {
        let sketch = BatchFactory.sketch([180, 185, 190, 201, 240, 240])
        let bytes = sketch.encoded()
        #expect(try LatencySketch(encoded: bytes) == sketch)
        #expect(bytes.count <= 8, "\(bytes.count) bytes for 6 probes")
        #expect(try LatencySketch(base64: sketch.base64) == sketch)
        #expect(LatencySketch().encoded().isEmpty)
        #expect(try LatencySketch(encoded: [UInt8]()) == LatencySketch())
    }

    @Test("an hour of 360 probes spread over 150-750 µs costs under 130 bytes, a third of a byte a probe")
    func compactHour() throws {
        var random = SplitMix64(seed: 7)
        var sketch = LatencySketch()
        for _ in 0..<360 { sketch.record(microseconds: 150 + random.next() % 600) }
        let bytes = sketch.encoded()
        #expect(try LatencySketch(encoded: bytes) == sketch)
        #expect(bytes.count < 130, "\(bytes.count) bytes for \(sketch.buckets.count) buckets")
    }

    @Test("every value, from 0 µs to beyond 60 s, and huge counts round-trip")
    func roundTripExtremes() throws {
        var random = SplitMix64(seed: 11)
        for _ in 0..<300 {
            var sketch = LatencySketch()
            for _ in 0..<Int.random(in: 1...50, using: &random) {
                let magnitude = UInt64.random(in: 0...27, using: &random)
                sketch.record(microseconds: UInt64.random(in: 0...(1 << magnitude), using: &random), count: UInt64.random(in: 1...1_000_000, using: &random))
            }
            #expect(try LatencySketch(encoded: sketch.encoded()) == sketch)
        }
        var extremes = LatencySketch()
        extremes.record(microseconds: 0, count: 1 << 40)
        extremes.record(microseconds: LatencySketch.highestMicroseconds, count: 1 << 40)
        #expect(try LatencySketch(encoded: extremes.encoded()) == extremes)
    }

    @Test("a percentile read straight from the encoded bytes equals the decoded sketch's")
    func quantileFromBytes() throws {
        var random = SplitMix64(seed: 5)
        for _ in 0..<200 {
            var sketch = LatencySketch()
            for _ in 0..<Int.random(in: 0...60, using: &random) {
                sketch.record(microseconds: UInt64.random(in: 0...3_000_000, using: &random), count: UInt64.random(in: 1...5, using: &random))
            }
            // Inside a larger buffer, as the matrix query holds them.
            let prefix: [UInt8] = [0xFF, 0x01]
            let bytes = prefix + sketch.encoded() + [0xAB]
            let range = prefix.count..<(bytes.count - 1)
            for quantile in [0.0, 0.01, 0.5, 0.9, 0.99, 0.999, 1.0] {
                let expected = sketch.quantileMicroseconds(quantile)
                #expect(LatencySketch.quantileMicroseconds(encoded: bytes, range: range, quantile: quantile) == expected)
                // With the right count, and with a wrong one (read again with its own).
                #expect(LatencySketch.quantileMicroseconds(encoded: bytes, range: range, quantile: quantile, expectedCount: sketch.count) == expected)
                #expect(LatencySketch.quantileMicroseconds(encoded: bytes, range: range, quantile: quantile, expectedCount: sketch.count + 3) == expected)
            }
        }
        #expect(LatencySketch.quantileMicroseconds(encoded: [0x01], range: 0..<1, quantile: 0.5) == nil, "bytes that do not decode")
    }

    @Test("malformed sketches are errors that say why, never a crash")
    func malformed() {
        // A code that starts and then runs out of bits.
        #expect(throws: SketchDecodingError.truncated) { try LatencySketch(encoded: [0x01]) }
        #expect(throws: SketchDecodingError.notBase64) { try LatencySketch(base64: "!!!") }
        // A gap of 2^20 buckets, far beyond the 60 s layout.
        #expect(throws: SketchDecodingError.invalidBucket(.max)) { try LatencySketch(encoded: [0x00, 0x00, 0x08, 0x00, 0x00, 0x40]) }
        // Two buckets of 2^63 samples: the total would overflow.
        let overflow: [UInt8] = (0..<4).flatMap { _ in [0x80] + [UInt8](repeating: 0, count: 7) }
        #expect(throws: SketchDecodingError.invalidCount) { try LatencySketch(encoded: overflow) }
        // Random bytes decode or throw; none crashes.
        var random = SplitMix64(seed: 3)
        for _ in 0..<2_000 {
            let bytes = (0..<Int(random.next() % 24)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            _ = try? LatencySketch(encoded: bytes)
        }
    }

    @Test("the legacy varint form of stores written by earlier releases still decodes")
    func legacyForm() throws {
        // 180 µs once, 240 µs twice: varint(180 << 1), varint((60 << 1) | 1), varint(2).
        let legacy: [UInt8] = [0xE8, 0x02, 0x79, 0x02]
        let sketch = try LatencySketch(legacyEncoded: legacy)
        #expect(sketch == BatchFactory.sketch([180, 240, 240]))
        #expect(throws: SketchDecodingError.truncated) { try LatencySketch(legacyEncoded: [0x80]) }
        #expect(throws: SketchDecodingError.unordered) { try LatencySketch(legacyEncoded: [0x0A, 0x00]) }
    }

    @Test("an RTT above 60 s is clamped, not lost")
    func clamp() {
        var sketch = LatencySketch()
        sketch.record(.seconds(120))
        #expect(sketch.count == 1)
        #expect(sketch.quantileMicroseconds(1)! >= 59_000_000)
    }
}
