import Testing

@testable import PingmeshModel

@Suite("Sketch bucket numbers")
struct SketchBucketIndexTests {
    @Test("bucket numbers follow the HDR layout one by one, from 0 µs to 60 s")
    func matchesLayout() {
        let layout = LatencySketch.layout
        var value: UInt64 = 0
        var index: UInt64 = 0
        while value <= LatencySketch.highestMicroseconds {
            #expect(SketchBucketIndex.index(of: value) == index, "value \(value)")
            #expect(SketchBucketIndex.value(at: index) == value, "index \(index)")
            // Every value inside the bucket has the bucket's number.
            #expect(SketchBucketIndex.index(of: layout.highestEquivalentForValue(value)) == index)
            if index < SketchBucketIndex.highestIndex {
                #expect(SketchBucketIndex.value(at: index + 1) - 1 == layout.highestEquivalentForValue(value), "index \(index)")
            }
            value = layout.nextNonEquivalentForValue(value)
            index += 1
        }
        #expect(SketchBucketIndex.highestIndex == index - 1)
    }
}
