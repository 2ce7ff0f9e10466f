import Foundation
import Histogram
import PingmeshModel
import Testing

@Suite("Latency sketch")
struct LatencySketchTests {
    /// A deterministic pseudo-random source, so a failure reproduces.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("merged windows give the percentiles of the union of their samples, as an HDR histogram of the union does")
    func mergeMatchesUnion() {
        var random = SplitMix(state: 42)
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

    @Test("the compact form round-trips and costs about two bytes a probe for a few distinct RTTs")
    func compactForm() throws {
        let sketch = BatchFactory.sketch([180, 185, 190, 201, 240, 240])
        let bytes = sketch.encoded()
        #expect(try LatencySketch(encoded: bytes) == sketch)
        #expect(bytes.count <= 12, "\(bytes.count) bytes for 6 probes")
        #expect(try LatencySketch(base64: sketch.base64) == sketch)
        #expect(LatencySketch().encoded().isEmpty)
    }

    @Test("malformed sketches are errors that say why, never a crash")
    func malformed() {
        #expect(throws: SketchDecodingError.truncated) { try LatencySketch(encoded: [0x80]) }
        #expect(throws: SketchDecodingError.unordered) { try LatencySketch(encoded: [0x0A, 0x00]) }
        #expect(throws: SketchDecodingError.notBase64) { try LatencySketch(base64: "!!!") }
        #expect(throws: SketchDecodingError.invalidCount) { try LatencySketch(encoded: [0x03, 0x01]) }
        // 2^40 µs is beyond the 60 s layout.
        var huge: [UInt8] = []
        var value: UInt64 = (1 << 40) << 1
        while value >= 0x80 { huge.append(UInt8(value & 0x7F) | 0x80); value >>= 7 }
        huge.append(UInt8(value))
        #expect(throws: SketchDecodingError.self) { try LatencySketch(encoded: huge) }
    }

    @Test("an RTT above 60 s is clamped, not lost")
    func clamp() {
        var sketch = LatencySketch()
        sketch.record(.seconds(120))
        #expect(sketch.count == 1)
        #expect(sketch.quantileMicroseconds(1)! >= 59_000_000)
    }
}
