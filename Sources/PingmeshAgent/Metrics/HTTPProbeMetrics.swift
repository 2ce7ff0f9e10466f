import PingmeshModel
import PingmeshProbe
import Prometheus
import Synchronization

/// HTTP probes' own series: why they failed, by a bounded reason, and each HTTPS target's
/// certificate expiry (blackbox_exporter's `probe_ssl_earliest_cert_expiry`), so an alert can
/// fire weeks before a certificate runs out rather than when probes start failing.
final class HTTPProbeMetrics: Sendable {
    /// Expiry series are per target and exist for every HTTPS target, healthy or not; past this
    /// many the rest go unexported rather than let one pinglist flood Prometheus.
    static let maximumExpirySeries = 1000

    private let registry: PrometheusCollectorRegistry
    private let failures: [HTTPProbeFailure: Counter]
    private let expiries = Mutex<[String: Gauge]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        var failures: [HTTPProbeFailure: Counter] = [:]
        for reason in HTTPProbeFailure.allCases {
            failures[reason] = registry.makeCounter(
                descriptor: .pingmesh(
                    "pingmesh_http_probe_failures_total",
                    help: "HTTP probes that failed a TLS or validation check, by reason (socket errors are in pingmesh_probes_total)."),
                labels: [("reason", reason.rawValue)])
        }
        self.failures = failures
    }

    func record(_ outcome: ProbeOutcome, for scheduled: ScheduledTarget) {
        guard let phases = outcome.httpPhases else { return }
        if let failure = phases.failure { failures[failure]?.increment() }
        guard let notAfter = phases.certificateNotAfter else { return }
        let id = scheduled.id
        let registry = self.registry
        expiries.withLock { gauges in
            if let gauge = gauges[id] {
                gauge.set(to: notAfter.timeIntervalSince1970)
                return
            }
            guard gauges.count < Self.maximumExpirySeries else { return }
            let gauge = registry.makeGauge(
                descriptor: .pingmesh(
                    "pingmesh_probe_tls_cert_expiry_timestamp_seconds",
                    help: "Unix time the HTTPS target's certificate expires (its notAfter), from the latest handshake."),
                labels: TopologyLabels.perTarget(scheduled))
            gauge.set(to: notAfter.timeIntervalSince1970)
            gauges[id] = gauge
        }
    }

    /// Drops the series of targets no longer in the pinglist: a stale expiry would alert forever.
    func retain(ids: Set<String>) {
        let registry = self.registry
        expiries.withLock { gauges in
            for (id, gauge) in gauges where !ids.contains(id) {
                registry.unregisterGauge(gauge)
                gauges[id] = nil
            }
        }
    }
}
