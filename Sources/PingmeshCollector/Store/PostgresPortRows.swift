/// A batch's port rows with equal keys summed (two windows of one minute may name the same
/// source port), since one `INSERT ... ON CONFLICT DO UPDATE` may not touch a row twice.
struct PostgresPortRows: Sendable {
    struct Key: Hashable, Comparable, Sendable {
        var minute: Int32
        var source: String
        var destination: String
        var port: Int32

        static func < (a: Self, b: Self) -> Bool {
            (a.minute, a.source, a.destination, a.port) < (b.minute, b.source, b.destination, b.port)
        }
    }

    private(set) var rows: [Key: (sent: UInt64, failed: UInt64)] = [:]
    private(set) var names: Set<String> = []

    init(_ ports: [PortRow]) throws {
        for port in ports {
            guard let number = Int32(exactly: port.port) else { throw StoreError(message: "port \(port.port) is not a port number") }
            let key = Key(minute: try PostgresResultStore.minute(port.window), source: port.source, destination: port.destination, port: number)
            let sum = rows[key] ?? (0, 0)
            rows[key] = (sum.sent &+ port.sent, sum.failed &+ port.failed)
            names.insert(port.source)
            names.insert(port.destination)
        }
    }

    var isEmpty: Bool { rows.isEmpty }

    /// One array per column, names resolved to ids.
    func columns(_ id: (String) throws -> Int64) throws -> (
        minute: [Int32], src: [Int64], dst: [Int64], port: [Int32], sent: [Int64], failed: [Int64]
    ) {
        var columns: (minute: [Int32], src: [Int64], dst: [Int64], port: [Int32], sent: [Int64], failed: [Int64]) = ([], [], [], [], [], [])
        for (key, value) in rows {
            columns.minute.append(key.minute)
            columns.src.append(try id(key.source))
            columns.dst.append(try id(key.destination))
            columns.port.append(key.port)
            columns.sent.append(Int64(clamping: value.sent))
            columns.failed.append(Int64(clamping: value.failed))
        }
        return columns
    }
}
