import Prometheus

extension MetricNameDescriptor {
    /// A descriptor for a metric whose full name (with the `pingmesh_` prefix and unit suffix)
    /// is written out, so names are greppable in the source.
    static func pingmesh(_ fullName: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: fullName, unitName: "", helpText: help)
    }
}
