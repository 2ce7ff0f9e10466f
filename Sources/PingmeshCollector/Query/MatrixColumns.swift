import Foundation

/// The matrix with its cells as parallel arrays (`GET /v1/matrix?layout=columns`): a 1,000 x
/// 1,000 server matrix is a million cells, about 72 MB as objects and under a quarter of that as
/// columns, which a browser parses several times faster. Latencies are whole microseconds (what
/// the sketches hold; `value_unit` says so), shorter to write and to parse than seconds. Written
/// by hand, since an encoder spends most of its time on a million small containers.
extension Matrix {
    public func columnsJSON() throws -> [UInt8] {
        struct Header: Encodable {
            var level: TopologyLevel
            var statistic: Statistic
            var resolution: Resolution
            var from: Int64
            var to: Int64
            var sources: [String]
            var destinations: [String]
            var valueUnit: String

            enum CodingKeys: String, CodingKey {
                case level, statistic, resolution, from, to, sources, destinations
                case valueUnit = "value_unit"
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bytes = [UInt8](
            try encoder.encode(
                Header(
                    level: level, statistic: statistic, resolution: resolution, from: from, to: to, sources: sources, destinations: destinations,
                    valueUnit: statistic.quantile == nil ? "1" : "microseconds")))
        bytes.removeLast()  // the header's closing brace: the columns follow
        bytes.reserveCapacity(bytes.count + cells.count * 24)
        func column(_ name: String, last: Bool = false, _ write: (Cell, inout [UInt8]) -> Void) {
            bytes.append(contentsOf: "\"\(name)\":[".utf8)
            for (index, cell) in cells.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                write(cell, &bytes)
            }
            bytes.append(contentsOf: (last ? "]" : "],").utf8)
        }
        bytes.append(contentsOf: #","columns":{"#.utf8)
        column("destination") { cell, out in out.append(contentsOf: String(cell.destination).utf8) }
        column("failed") { cell, out in out.append(contentsOf: String(cell.failed).utf8) }
        column("probes") { cell, out in out.append(contentsOf: String(cell.probes).utf8) }
        column("source") { cell, out in out.append(contentsOf: String(cell.source).utf8) }
        column("syn_retransmits") { cell, out in out.append(contentsOf: String(cell.synRetransmits).utf8) }
        // No statistic (every probe failed) is null, as in the cells layout.
        let microseconds = statistic.quantile != nil
        column("value", last: true) { cell, out in
            guard let value = cell.value, value.isFinite else { return out.append(contentsOf: "null".utf8) }
            out.append(contentsOf: (microseconds ? String(Int64((value * 1e6).rounded())) : "\(value)").utf8)
        }
        bytes.append(contentsOf: "}}".utf8)
        return bytes
    }
}
