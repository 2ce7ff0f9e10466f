import Foundation
import PingmeshModel
import Prometheus
import Synchronization

/// The controller's Prometheus metrics: what the plan covers and drops, and how it is served.
public final class ControllerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let planned: [MeshLevel: Gauge]
    private let dropped: [MeshLevel: Gauge]
    private let agents: Gauge
    private let registered: Gauge
    private let computeSeconds: Gauge
    private let builds: Counter
    private let rejected: Counter
    private let torCoverage: Gauge
    private let responses: [Int: Counter]
    private let adminOpen: Gauge
    private let peerPushes: [Bool: Counter]
    private let pollsWaiting: Gauge

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let gauge = { (name: String, help: String) in registry.makeGauge(descriptor: .init(metricName: name, unitName: "", helpText: help))
        }
        let counter = { (name: String, help: String) in
            registry.makeCounter(descriptor: .init(metricName: name, unitName: "", helpText: help))
        }
        var planned: [MeshLevel: Gauge] = [:]
        var dropped: [MeshLevel: Gauge] = [:]
        for level in MeshLevel.allCases {
            planned[level] = registry.makeGauge(
                descriptor: .init(
                    metricName: "pingmesh_controller_plan_pairs", unitName: "", helpText: "Probe pairs in the current plan, by mesh level."),
                labels: [("level", level.rawValue)])
            dropped[level] = registry.makeGauge(
                descriptor: .init(
                    metricName: "pingmesh_controller_plan_dropped_pairs", unitName: "",
                    helpText: "Probe pairs the topology implies but the caps thinned away, by mesh level."),
                labels: [("level", level.rawValue)])
        }
        self.planned = planned
        self.dropped = dropped
        agents = gauge("pingmesh_controller_plan_agents", "Agents with a pinglist in the current plan.")
        registered = gauge("pingmesh_controller_registered_agents", "Agents known through self-registration.")
        computeSeconds = gauge("pingmesh_controller_plan_compute_seconds", "Time the last plan took to compute.")
        builds = counter("pingmesh_controller_plan_builds_total", "Plans computed.")
        rejected = counter("pingmesh_controller_topology_rejected_total", "Topologies rejected as invalid; the last good plan was kept.")
        torCoverage = gauge(
            "pingmesh_controller_plan_tor_pair_coverage_ratio", "Share of ordered ToR pairs within a DC that the plan probes.")
        var responses: [Int: Counter] = [:]
        for code in [200, 304, 404] {
            responses[code] = registry.makeCounter(
                descriptor: .init(
                    metricName: "pingmesh_controller_pinglist_responses_total", unitName: "",
                    helpText: "Pinglist requests answered, by HTTP status."),
                labels: [("code", String(code))])
        }
        self.responses = responses
        var peerPushes: [Bool: Counter] = [:]
        for ok in [true, false] {
            peerPushes[ok] = registry.makeCounter(
                descriptor: .init(
                    metricName: "pingmesh_controller_peer_pushes_total", unitName: "",
                    helpText: "Registration pushes to peer replicas (--peer), by result."),
                labels: [("result", ok ? "ok" : "failed")])
        }
        self.peerPushes = peerPushes
        pollsWaiting = gauge(
            "pingmesh_controller_task_polls_waiting", "Agents' task long polls held open on this replica, waiting for a task.")
        adminOpen = gauge(
            "pingmesh_controller_admin_open",
            "1 while admin operations (tasks, upgrades) are open to anyone: --insecure-open-admin without --tokens.")
    }

    func peerPush(ok: Bool) { peerPushes[ok]?.increment() }

    /// Whether admin operations need no token, for the gauge an alert can watch.
    func adminAccess(openToAnyone: Bool) { adminOpen.set(to: openToAnyone ? 1 : 0) }

    func planBuilt(_ snapshot: PlanSnapshot, registered count: Int) {
        let statistics = PlanStatistics(snapshot.plan)
        for level in MeshLevel.allCases {
            planned[level]?.set(to: Double(statistics.planned[level] ?? 0))
            dropped[level]?.set(to: Double(statistics.dropped[level] ?? 0))
        }
        agents.set(to: Double(snapshot.plan.topology.servers.count))
        registered.set(to: Double(count))
        computeSeconds.set(to: snapshot.computeSeconds)
        torCoverage.set(to: statistics.torPairs.ratio)
        builds.increment()
    }

    func taskPolls(waiting: Int) { pollsWaiting.set(to: Double(waiting)) }

    func planRejected() { rejected.increment() }

    func pinglistServed(status: Int) { responses[status]?.increment() }

    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
