import Foundation
import Hummingbird
import PingmeshModel

/// The query string of a read request, checked field by field: a bad value is a 400 that names
/// the parameter and says what it takes.
struct QueryParameters {
    let parameters: Parameters
    /// Unix seconds, `from..<to`; default: the last hour.
    let from: Int64
    let to: Int64

    init(_ parameters: Parameters, now: Int64 = Int64(Date().timeIntervalSince1970)) throws {
        self.parameters = parameters
        let to = try Self.time(parameters.get("to"), name: "to") ?? now
        let from = try Self.time(parameters.get("from"), name: "from") ?? to - 3600
        guard from < to else { throw HTTPError(.badRequest, message: "from: must be before to") }
        guard to - from <= 800 * 86_400 else { throw HTTPError(.badRequest, message: "from: the range is longer than 800 days") }
        self.from = from
        self.to = to
    }

    /// An optional time parameter in Unix seconds.
    func time(_ name: String) throws -> Int64? {
        try Self.time(text(name), name: name)
    }

    private static func time(_ text: String?, name: String) throws -> Int64? {
        guard let text else { return nil }
        guard let value = Int64(text), (0...253_402_300_799).contains(value) else {
            throw HTTPError(.badRequest, message: "\(name): '\(text)' is not a time in Unix seconds")
        }
        return value
    }

    func text(_ name: String) -> String? {
        parameters.get(name).flatMap { $0.isEmpty ? nil : $0 }
    }

    func required(_ name: String) throws -> String {
        guard let value = text(name) else { throw HTTPError(.badRequest, message: "\(name): required") }
        return value
    }

    func level(default fallback: TopologyLevel) throws -> TopologyLevel {
        try choice("level", default: fallback)
    }

    func statistic() throws -> Statistic {
        try choice("statistic", default: .p99)
    }

    func resolution() throws -> Resolution? {
        guard text("resolution") != nil else { return nil }
        return try choice("resolution", default: .minute)
    }

    func kind() throws -> ProbeKind? {
        guard text("kind") != nil else { return nil }
        return try choice("kind", default: .tcp)
    }

    func number(_ name: String, default fallback: Double, range: ClosedRange<Double>) throws -> Double {
        guard let text = text(name) else { return fallback }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw HTTPError(.badRequest, message: "\(name): '\(text)' is not a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = text(name) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw HTTPError(.badRequest, message: "\(name): '\(text)' is not an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    private func choice<Value: RawRepresentable & CaseIterable>(_ name: String, default fallback: Value) throws -> Value where Value.RawValue == String {
        guard let text = text(name) else { return fallback }
        guard let value = Value(rawValue: text) else {
            throw HTTPError(
                .badRequest, message: "\(name): '\(text)' is not one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}
