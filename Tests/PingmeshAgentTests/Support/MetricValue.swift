import Foundation
import Prometheus

/// Reads one sample from an exposition, so tests check values rather than formatting.
enum MetricValue {
    /// The value of the series `name` (with its labels written as in the exposition, e.g.
    /// `pingmesh_upload_batches_total{result="stored"}`), or nil when absent.
    static func read(_ series: String, in registry: PrometheusCollectorRegistry) -> Double? {
        read(series, in: String(decoding: registry.emitToBuffer(), as: UTF8.self))
    }

    static func read(_ series: String, in exposition: String) -> Double? {
        for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
