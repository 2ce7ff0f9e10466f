import PingmeshModel
import Testing

@testable import PingmeshCollector

@Suite("Packed server-pair cells")
struct PackedPairCellsTests {
    static func cells(count: Int, seed: UInt64) -> [PackedPairCells.Cell] {
        var random = SplitMix64(seed: seed)
        var used = Set<Int64>()
        var cells: [PackedPairCells.Cell] = []
        while cells.count < count {
            let destination = Int64(random.next() % 5_000)
            guard used.insert(destination).inserted else { continue }
            // Every class, zero or not, small and beyond 32 bits, so each mask bit is exercised.
            func value() -> UInt64 {
                switch random.next() % 4 {
                case 0: return 0
                case 1: return random.next() % 10
                case 2: return random.next() % 100_000
                default: return (1 << 40) + random.next() % 1_000
                }
            }
            let counts = ResultCounts(
                ok: value(), slow: value(), timeout: value(), refused: value(), unreachable: value(), error: value(), unresolved: value(),
                retransmitted: value(), synRetransmits: value(), jitterPairs: value(), jitterNanoseconds: value())
            var sketch = LatencySketch()
            for _ in 0..<(random.next() % 5) { sketch.record(microseconds: 50 + random.next() % 100_000) }
            cells.append(PackedPairCells.Cell(destination: destination, counts: counts, sketch: sketch.isEmpty ? [] : sketch.encoded()))
        }
        return cells
    }

    @Test("cells come back as they went in, in destination order", arguments: [0, 1, 7, 300])
    func roundTrip(count: Int) throws {
        let cells = Self.cells(count: count, seed: UInt64(count) + 11)
        let decoded = try PackedPairCells.decode(PackedPairCells.encode(cells))
        #expect(decoded == cells.sorted { $0.destination < $1.destination })
    }

    @Test("cells stored before the unresolved class read as they did, with none unresolved")
    func cellsFromBeforeUnresolved() throws {
        // Written by the six-class encoder: destination 5, ok 3, timeout 2, error 1, no sketch;
        // then destination 7 (delta 2), refused 4.
        let old: [UInt8] = [1, 5, 0b0010_0101, 3, 2, 1, 0, 2, 0b0000_1000, 4, 0]
        #expect(
            try PackedPairCells.decode(old) == [
                PackedPairCells.Cell(destination: 5, counts: ResultCounts(ok: 3, timeout: 2, error: 1), sketch: []),
                PackedPairCells.Cell(destination: 7, counts: ResultCounts(refused: 4), sketch: []),
            ])
        // And a cell with unresolved rounds sets bit 6, its count after the first six classes'.
        let new = PackedPairCells.encode([PackedPairCells.Cell(destination: 5, counts: ResultCounts(ok: 3, unresolved: 9), sketch: [])])
        #expect(new == [1, 5, 0b0100_0001, 3, 9, 0])
    }

    @Test("the jitter rides in the extension byte, bits 2 and 3, after the resent SYNs")
    func jitterInExtension() throws {
        let cell = PackedPairCells.Cell(destination: 5, counts: ResultCounts(ok: 3, jitterPairs: 2, jitterNanoseconds: 300), sketch: [])
        let bytes = PackedPairCells.encode([cell])
        // 300 is the varint 0xAC 0x02.
        #expect(bytes == [1, 5, 0b1000_0001, 0b0000_1100, 3, 2, 0xAC, 0x02, 0])
        #expect(try PackedPairCells.decode(bytes) == [cell])
        // A bit of the extension byte no count has yet is refused.
        #expect(throws: StoreError.self) { try PackedPairCells.decode([UInt8]([1, 5, 0b1000_0001, 0b0001_0000, 3, 7, 0])) }
    }

    @Test("a mask bit no result class has is an error, not a misread of every later cell")
    func unknownClassBit() {
        #expect(throws: StoreError.self) { try PackedPairCells.decode([UInt8]([1, 5, 0b1000_0001, 3, 7, 0])) }
    }

    @Test("a healthy cell costs its destination delta, two bytes of counts, a length byte and its sketch")
    func healthyCellSize() {
        var sketch = LatencySketch()
        for rtt: UInt64 in [180, 190, 200, 210, 220, 230] { sketch.record(microseconds: rtt) }
        let encoded = sketch.encoded()
        let cells = (1...300).map { PackedPairCells.Cell(destination: Int64($0), counts: ResultCounts(ok: 6), sketch: encoded) }
        #expect(PackedPairCells.encode(cells).count == 1 + 300 * (1 + 2 + 1 + encoded.count))
    }

    @Test("a blob cut anywhere, or of another format, is an error, never a crash or a wrong cell")
    func truncatedOrForeign() throws {
        let blob = PackedPairCells.encode(Self.cells(count: 20, seed: 5))
        let full = try PackedPairCells.decode(blob)
        for cut in 1..<blob.count {
            // A cut on a cell boundary is a shorter valid blob; anything else must throw.
            if let decoded = try? PackedPairCells.decode(Array(blob[..<cut])) {
                #expect(Array(full.prefix(decoded.count)) == decoded)
            }
        }
        #expect(throws: StoreError.self) { try PackedPairCells.decode([UInt8]([9, 1, 1, 1, 0])) }
        #expect(throws: StoreError.self) { try PackedPairCells.decode([UInt8]([1, 0x80])) }
        #expect(try PackedPairCells.decode([UInt8]()).isEmpty)
    }

    @Test("merging adds the counts and sketches of a destination seen again and keeps the rest")
    func merge() throws {
        var a = LatencySketch()
        a.record(microseconds: 100)
        var b = LatencySketch()
        b.record(microseconds: 900)
        let existing = [
            PackedPairCells.Cell(destination: 1, counts: ResultCounts(ok: 1), sketch: a.encoded()),
            PackedPairCells.Cell(destination: 2, counts: ResultCounts(timeout: 2), sketch: []),
        ]
        let added = [
            PackedPairCells.Cell(destination: 1, counts: ResultCounts(ok: 1, refused: 1), sketch: b.encoded()),
            PackedPairCells.Cell(destination: 3, counts: ResultCounts(ok: 1), sketch: b.encoded()),
        ]
        let merged = Dictionary(uniqueKeysWithValues: try PackedPairCells.merge(existing, added).map { ($0.destination, $0) })
        var both = a
        both.merge(b)
        #expect(merged[1]?.counts == ResultCounts(ok: 2, refused: 1))
        #expect(merged[1].map { try? LatencySketch(encoded: $0.sketch) } == both)
        #expect(merged[2] == existing[1])
        #expect(merged[3] == added[1])
    }
}
