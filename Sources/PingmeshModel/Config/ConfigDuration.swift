import Foundation

/// A duration in a configuration file: a number of seconds (`10`, `0.5`) or a number with a
/// unit (`10s`, `500ms`, `250us`, `2m`).
public struct ConfigDuration: Sendable, Hashable, Codable, CustomStringConvertible {
    public var duration: Duration

    public init(_ duration: Duration) { self.duration = duration }

    public static func seconds(_ value: Double) -> ConfigDuration { ConfigDuration(.nanoseconds(Int64(value * 1e9))) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let seconds = try? container.decode(Double.self) {
            guard seconds.isFinite, seconds >= 0, seconds < 1e9 else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(seconds) is not a valid duration in seconds")
            }
            self = .seconds(seconds)
            return
        }
        let text = try container.decode(String.self)
        guard let parsed = ConfigDuration(parsing: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "'\(text)' is not a duration (use seconds, or a number with us, ms, s or m)"
            )
        }
        self = parsed
    }

    /// Parses `10s`, `500ms`, `250us`, `2m`, `1h`, `7d` or a bare number of seconds.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        var scale = 1.0
        var number = Substring(trimmed)
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            scale = factor
            number = number.dropLast(suffix.count)
            break
        }
        guard let value = Double(number), value.isFinite, value >= 0, value * scale < 1e9 else { return nil }
        self = .seconds(value * scale)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public var description: String {
        let ns = duration.nanoseconds
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
        if ns % 1_000 == 0 { return "\(ns / 1_000)us" }
        return "\(Double(ns) / 1e9)s"
    }
}

extension Duration {
    /// Whole nanoseconds, saturating; RTTs and settings all fit comfortably.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The duration as floating-point seconds, for metrics.
    public var seconds: Double { Double(nanoseconds) / 1e9 }
}
