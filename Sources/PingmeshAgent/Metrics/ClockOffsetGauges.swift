import PingmeshModel
import PingmeshProbe
import Prometheus
import Synchronization

/// `pingmesh_probe_ntp_offset_seconds`: each NTP target's clock offset from this agent's clock,
/// by its latest answer. One series per NTP target, with the per-target labels: a pinglist names a
/// handful of time servers, not the mesh, so this stays bounded where per-peer RTT gauges would
/// not. A series is removed when its target's probe fails or it leaves the pinglist, so a stale
/// offset never looks current.
final class ClockOffsetGauges: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let gauges = Mutex<[String: Gauge]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func record(_ outcome: ProbeOutcome, for scheduled: ScheduledTarget) {
        guard scheduled.target.kind == .ntp else { return }
        let registry = self.registry
        gauges.withLock { gauges in
            guard let offset = outcome.clockOffset, !outcome.result.isFailure else {
                if let gauge = gauges.removeValue(forKey: scheduled.id) { registry.unregisterGauge(gauge) }
                return
            }
            let gauge =
                gauges[scheduled.id]
                ?? registry.makeGauge(
                    descriptor: .pingmesh(
                        "pingmesh_probe_ntp_offset_seconds",
                        help:
                            "Clock offset of an NTP target from this agent's clock (positive: the server is ahead), by its latest answer; absent while it fails."
                    ),
                    labels: TopologyLabels.perTarget(scheduled))
            gauges[scheduled.id] = gauge
            gauge.set(to: offset.seconds)
        }
    }

    /// Drops the series of targets no longer in the pinglist.
    func keep(only ids: Set<String>) {
        let registry = self.registry
        gauges.withLock { gauges in
            for (id, gauge) in gauges where !ids.contains(id) {
                registry.unregisterGauge(gauge)
                gauges[id] = nil
            }
        }
    }
}
