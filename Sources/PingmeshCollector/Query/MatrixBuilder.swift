import PingmeshModel

/// Groups compact rows into matrix cells. Name ids are small dense integers (the store interns
/// names), so sources and destinations get their matrix positions through flat arrays, and a
/// cell is found at `row * columns + column` in a flat table, already in output order: no
/// hashing and no sort for the 300,000 cells of a 1,000 x 1,000 server matrix. Very large or
/// sparse id spaces fall back to a dictionary.
struct MatrixBuilder {
    /// A trivial type (no array inside): copying and freeing 300,000 of them costs nothing
    /// beyond their bytes. Cells of several rows keep the others in `extraRows`.
    struct Cell {
        var slot: Int
        var counts: ResultCounts
        var firstRow: Int
        /// Index into `extraRows`, or -1 for a cell of one row (the common case).
        var extra: Int32 = -1
    }

    /// The rows after the first of the cells that have several.
    private(set) var extraRows: [[Int]] = []

    /// The rows of `cell` after its first.
    func moreRows(of cell: Cell) -> [Int] { cell.extra < 0 ? [] : extraRows[Int(cell.extra)] }

    /// Adds row `at` to the cell at `index` of `cells`.
    private static func add(row at: Int, counts: ResultCounts, toCell index: Int, in cells: inout [Cell], extraRows: inout [[Int]]) {
        cells[index].counts.add(counts)
        if cells[index].extra < 0 {
            cells[index].extra = Int32(extraRows.count)
            extraRows.append([at])
        } else {
            extraRows[Int(cells[index].extra)].append(at)
        }
    }

    private(set) var sources: [Int64] = []
    private(set) var destinations: [Int64] = []
    /// Cells in slot order: by source position, then destination position.
    private(set) var cells: [Cell] = []

    /// Flat tables up to this many entries (64 MiB of Int32).
    static let flatLimit = 1 << 24

    init(_ compact: CompactAggregates, kind: ProbeKind?) {
        self = Self.flat(compact, kind: kind) ?? Self.hashing(compact, rows: compact.rows.indices.filter { kind == nil || compact.rows[$0].kind == kind })
    }

    private init() {}

    /// The flat-table path, or nil when the ids or the matrix are too large for it.
    private static func flat(_ compact: CompactAggregates, kind: ProbeKind?) -> MatrixBuilder? {
        var built = MatrixBuilder()
        // Stores name every id their rows use, so the largest named id bounds them all; a row
        // beyond it (or negative) sends the whole query down the general path.
        let idLimit = Int(compact.names.keys.max() ?? -1) + 1
        guard idLimit <= flatLimit else { return nil }
        var isSource = [Bool](repeating: false, count: idLimit)
        var isDestination = [Bool](repeating: false, count: idLimit)
        for row in compact.rows where kind == nil || row.kind == kind {
            guard (0..<Int64(idLimit)).contains(row.source), (0..<Int64(idLimit)).contains(row.destination) else { return nil }
            isSource[Int(row.source)] = true
            isDestination[Int(row.destination)] = true
        }
        let sources = sortedByName(isSource.indices.filter { isSource[$0] }.map(Int64.init), names: compact.names)
        let destinations = sortedByName(isDestination.indices.filter { isDestination[$0] }.map(Int64.init), names: compact.names)
        let columns = destinations.count
        guard sources.count * columns <= flatLimit else { return nil }
        var sourcePosition = [Int32](repeating: -1, count: idLimit)
        var destinationPosition = [Int32](repeating: -1, count: idLimit)
        for (position, id) in sources.enumerated() { sourcePosition[Int(id)] = Int32(position) }
        for (position, id) in destinations.enumerated() { destinationPosition[Int(id)] = Int32(position) }
        var cellAt = [Int32](repeating: -1, count: sources.count * columns)
        var unordered: [Cell] = []
        unordered.reserveCapacity(compact.rows.count)
        for (at, row) in compact.rows.enumerated() where kind == nil || row.kind == kind {
            let slot = Int(sourcePosition[Int(row.source)]) * columns + Int(destinationPosition[Int(row.destination)])
            let existing = cellAt[slot]
            if existing < 0 {
                cellAt[slot] = Int32(unordered.count)
                unordered.append(Cell(slot: slot, counts: row.counts, firstRow: at))
            } else {
                add(row: at, counts: row.counts, toCell: Int(existing), in: &unordered, extraRows: &built.extraRows)
            }
        }
        built.sources = sources
        built.destinations = destinations
        // Rows of one window arrive in key order, sources and destinations ascending by id,
        // which is name order whenever names were interned in order: then the cells are sorted
        // already and the table walk is skipped.
        if unordered.indices.dropFirst().allSatisfy({ unordered[$0 - 1].slot < unordered[$0].slot }) {
            built.cells = unordered
        } else {
            built.cells.reserveCapacity(unordered.count)
            for index in cellAt where index >= 0 { built.cells.append(unordered[Int(index)]) }
        }
        return built
    }

    /// The general path: dictionaries keyed by id, then a sort by slot.
    private static func hashing(_ compact: CompactAggregates, rows: [Int]) -> MatrixBuilder {
        var built = MatrixBuilder()
        built.sources = sortedByName(Array(Set(rows.map { compact.rows[$0].source })), names: compact.names)
        built.destinations = sortedByName(Array(Set(rows.map { compact.rows[$0].destination })), names: compact.names)
        let sourcePosition = Dictionary(uniqueKeysWithValues: built.sources.enumerated().map { ($1, $0) })
        let destinationPosition = Dictionary(uniqueKeysWithValues: built.destinations.enumerated().map { ($1, $0) })
        var cellAt: [Int: Int] = [:]
        for at in rows {
            let row = compact.rows[at]
            let slot = sourcePosition[row.source]! * built.destinations.count + destinationPosition[row.destination]!
            if let existing = cellAt[slot] {
                add(row: at, counts: row.counts, toCell: existing, in: &built.cells, extraRows: &built.extraRows)
            } else {
                cellAt[slot] = built.cells.count
                built.cells.append(Cell(slot: slot, counts: row.counts, firstRow: at))
            }
        }
        built.cells.sort { $0.slot < $1.slot }
        return built
    }

    /// Ids in the order of their names (unnamed ids last, which a consistent store never has).
    private static func sortedByName(_ ids: [Int64], names: [Int64: String]) -> [Int64] {
        ids.map { (id: $0, name: names[$0]) }
            .sorted { a, b in
                switch (a.name, b.name) {
                case let (x?, y?): return x < y
                case (.some, nil): return true
                case (nil, .some): return false
                case (nil, nil): return a.id < b.id
                }
            }
            .map(\.id)
    }
}
