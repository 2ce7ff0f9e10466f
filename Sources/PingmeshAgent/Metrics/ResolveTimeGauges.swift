import PingmeshModel
import Prometheus
import Synchronization

/// `pingmesh_probe_dns_lookup_time_seconds`: how long each named target's latest resolution took
/// (at load or at the last refresh, failed lookups included), as blackbox_exporter's
/// `probe_dns_lookup_time_seconds`. Resolution happens before probes, outside their RTT, so this
/// is where a slow resolver shows. One series per named target (literal addresses take no
/// resolution and have none): pinglists name a few services, not the mesh; past
/// `maximumSeries` the rest go unexported rather than flood Prometheus.
final class ResolveTimeGauges: Sendable {
    static let maximumSeries = 1000

    private let registry: PrometheusCollectorRegistry
    private let gauges = Mutex<[String: Gauge]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Sets every named target's series from a fresh resolution and drops those of targets no
    /// longer in the list (or no longer named).
    func resolved(_ pinglist: ResolvedPinglist) {
        let named = pinglist.scheduled.filter { $0.resolveTime != nil }
        let ids = Set(named.map(\.id))
        let registry = self.registry
        gauges.withLock { gauges in
            for (id, gauge) in gauges where !ids.contains(id) {
                registry.unregisterGauge(gauge)
                gauges[id] = nil
            }
            for scheduled in named {
                guard let time = scheduled.resolveTime else { continue }
                if gauges[scheduled.id] == nil {
                    guard gauges.count < Self.maximumSeries else { continue }
                    gauges[scheduled.id] = registry.makeGauge(
                        descriptor: .pingmesh(
                            "pingmesh_probe_dns_lookup_time_seconds",
                            help:
                                "How long the target's host name took to resolve, at the latest resolution (pinglist load or name refresh), failed ones included."
                        ),
                        labels: TopologyLabels.perTarget(scheduled))
                }
                gauges[scheduled.id]?.set(to: time.seconds)
            }
        }
    }
}
