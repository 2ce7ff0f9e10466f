import PingmeshModel

/// One source's server-pair cells of one minute and probe kind, packed into one blob: the form
/// the stores keep the 1-minute server level in. A 1,000 x 1,000 server matrix is then 1,000
/// rows of about 8 KB instead of 300,000 rows, and reading it is a walk over bytes instead of
/// 300,000 row steps of eleven columns each, which would be most of the matrix's time.
///
/// Layout: a format byte (1), then per destination in ascending id order:
/// `varint(destination - previous destination)`, a byte whose bit i says result class i
/// (ok, slow, timeout, refused, unreachable, error, unresolved) is non-zero, a varint per non-zero class,
/// `varint(sketch length)` and the encoded sketch (`LatencySketch.encoded()`; empty for no
/// latency). A healthy cell costs its destination delta, two bytes of counts and its sketch.
/// A count a cell does not have leaves its bit clear and costs nothing, so cells written without
/// `unresolved` (bit 6) or the extension (bit 7) read the same under the one format byte. Bit 7
/// says an extension byte follows the mask, whose bit 0 says `retransmitted`, bit 1
/// `syn_retransmits`, bit 2 `jitter_pairs` and bit 3 `jitter_ns` is non-zero, their varints after
/// the classes'. A cell without them costs no byte more.
enum PackedPairCells {
    struct Cell: Sendable, Equatable {
        var destination: Int64
        var counts: ResultCounts
        /// `LatencySketch.encoded()`, empty for none.
        var sketch: [UInt8]
    }

    static let format: UInt8 = 1

    /// Packs cells of distinct destinations (any order; ids must not be negative).
    static func encode(_ cells: [Cell]) -> [UInt8] {
        var bytes: [UInt8] = [format]
        bytes.reserveCapacity(1 + cells.reduce(0) { $0 + 6 + $1.sketch.count })
        var previous: Int64 = 0
        for cell in cells.sorted(by: { $0.destination < $1.destination }) {
            precondition(cell.destination >= previous, "packed cells need distinct, non-negative destination ids")
            appendVarint(UInt64(cell.destination - previous), to: &bytes)
            previous = cell.destination
            let values = [
                cell.counts.ok, cell.counts.slow, cell.counts.timeout, cell.counts.refused, cell.counts.unreachable, cell.counts.error,
                cell.counts.unresolved,
            ]
            let extended = [cell.counts.retransmitted, cell.counts.synRetransmits, cell.counts.jitterPairs, cell.counts.jitterNanoseconds]
            var mask: UInt8 = 0
            for (bit, value) in values.enumerated() where value != 0 { mask |= 1 << bit }
            var extensionBits: UInt8 = 0
            for (bit, value) in extended.enumerated() where value != 0 { extensionBits |= 1 << bit }
            if extensionBits != 0 { mask |= 0x80 }
            bytes.append(mask)
            if extensionBits != 0 { bytes.append(extensionBits) }
            for value in values + extended where value != 0 { appendVarint(value, to: &bytes) }
            appendVarint(UInt64(cell.sketch.count), to: &bytes)
            bytes.append(contentsOf: cell.sketch)
        }
        return bytes
    }

    /// Calls `body` for every cell, in ascending destination order, with where its sketch lies
    /// in `blob`. Throws on a blob that is cut short or not this format.
    static func forEach(
        in blob: UnsafeRawBufferPointer, _ body: (_ destination: Int64, _ counts: ResultCounts, _ sketch: Range<Int>) throws -> Void
    ) throws {
        guard let first = blob.first else { return }
        guard first == format else { throw StoreError(message: "packed pair cells of unknown format \(first)") }
        var reader = Reader(bytes: blob, position: 1)
        var destination: Int64 = 0
        while reader.position < blob.count {
            destination += Int64(try reader.varint())
            let mask = try reader.byte()
            let extensionBits = mask & 0x80 == 0 ? 0 : try reader.byte()
            // A bit no count has yet would leave its varint unread and every later cell misread.
            guard extensionBits & 0xF0 == 0 else { throw StoreError(message: "packed pair cell with an unknown count (extension \(extensionBits))") }
            var values: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0)
            if mask & 0x01 != 0 { values.0 = try reader.varint() }
            if mask & 0x02 != 0 { values.1 = try reader.varint() }
            if mask & 0x04 != 0 { values.2 = try reader.varint() }
            if mask & 0x08 != 0 { values.3 = try reader.varint() }
            if mask & 0x10 != 0 { values.4 = try reader.varint() }
            if mask & 0x20 != 0 { values.5 = try reader.varint() }
            if mask & 0x40 != 0 { values.6 = try reader.varint() }
            let retransmitted = extensionBits & 0x01 != 0 ? try reader.varint() : 0
            let synRetransmits = extensionBits & 0x02 != 0 ? try reader.varint() : 0
            let jitterPairs = extensionBits & 0x04 != 0 ? try reader.varint() : 0
            let jitterNanoseconds = extensionBits & 0x08 != 0 ? try reader.varint() : 0
            let counts = ResultCounts(
                ok: values.0, slow: values.1, timeout: values.2, refused: values.3, unreachable: values.4, error: values.5, unresolved: values.6,
                retransmitted: retransmitted, synRetransmits: synRetransmits, jitterPairs: jitterPairs, jitterNanoseconds: jitterNanoseconds)
            let length = Int(try reader.varint())
            try body(destination, counts, try reader.skip(length))
        }
    }

    /// Every cell, decoded (for merging and for callers that want whole sketches).
    static func decode(_ blob: UnsafeRawBufferPointer) throws -> [Cell] {
        var cells: [Cell] = []
        try forEach(in: blob) { destination, counts, sketch in
            cells.append(Cell(destination: destination, counts: counts, sketch: Array(blob[sketch])))
        }
        return cells
    }

    static func decode(_ blob: [UInt8]) throws -> [Cell] {
        try blob.withUnsafeBytes { try decode($0) }
    }

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var position: Int

        mutating func byte() throws -> UInt8 {
            guard position < bytes.count else { throw StoreError(message: "packed pair cells cut short") }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let next = try byte()
                guard shift < 64 else { throw StoreError(message: "packed pair cells hold a varint over 64 bits") }
                value |= UInt64(next & 0x7F) << shift
                if next & 0x80 == 0 { return value }
                shift += 7
            }
        }

        /// Steps over `count` bytes and returns where they lie.
        mutating func skip(_ count: Int) throws -> Range<Int> {
            guard count >= 0, count <= bytes.count - position else { throw StoreError(message: "packed pair cells cut short") }
            defer { position += count }
            return position..<(position + count)
        }
    }
}

extension PackedPairCells {
    /// `existing` with `added` folded in: cells of the same destination add their counts and
    /// merge their sketches (late data and split windows), others are kept as they are.
    static func merge(_ existing: [Cell], _ added: [Cell]) throws -> [Cell] {
        var byDestination = Dictionary(existing.map { ($0.destination, $0) }, uniquingKeysWith: { first, _ in first })
        for cell in added {
            guard var known = byDestination[cell.destination] else {
                byDestination[cell.destination] = cell
                continue
            }
            known.counts.add(cell.counts)
            known.sketch = try Self.mergedSketch(known.sketch, cell.sketch)
            byDestination[cell.destination] = known
        }
        return Array(byDestination.values)
    }

    static func mergedSketch(_ a: [UInt8], _ b: [UInt8]) throws -> [UInt8] {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        var sketch = try LatencySketch(encoded: a)
        sketch.merge(try LatencySketch(encoded: b))
        return sketch.encoded()
    }
}

extension CompactAggregates {
    /// Appends every cell of a packed blob as a row of `source`. The blob is copied whole, once,
    /// and the rows' sketches point into it: no copy and no array growth per cell.
    mutating func appendPacked(_ blob: UnsafeRawBufferPointer, window: Int64, source: Int64, kind: ProbeKind) throws {
        let (base, rowsBefore) = (sketchBytes.count, rows.count)
        sketchBytes.append(contentsOf: blob)
        do {
            try PackedPairCells.forEach(in: blob) { destination, counts, sketch in
                rows.append(
                    Row(
                        window: window, source: source, destination: destination, kind: kind, counts: counts,
                        sketch: (base + sketch.lowerBound)..<(base + sketch.upperBound)))
            }
        } catch {
            // A bad blob adds nothing, not the cells before the damage.
            sketchBytes.removeSubrange(base...)
            rows.removeSubrange(rowsBefore...)
            throw error
        }
    }
}
