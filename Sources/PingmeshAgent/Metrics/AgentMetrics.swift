import Foundation
import PingmeshModel
import PingmeshProbe
import Prometheus
import Synchronization

/// The agent's Prometheus metrics. Per-target series exist only while a target is failing or
/// slow (plus full per-target histograms when asked), so a mesh of thousands of peers stays a
/// few dozen series in the normal case.
public final class AgentMetrics: ProbeRecorder, SchedulerObserver, Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Result upload's metrics, on agents that upload to a collector.
    public let upload: UploadMetrics?
    /// The same figures, readable, for the heartbeat.
    public let health: AgentHealth
    private let perTargetHistograms: Bool

    private let rtt: [ProbeKind: DurationHistogram]
    private let probes: [ProbeKind: [ProbeResultClass: Counter]]
    private let targets: Gauge
    private let targetsSkipped: Gauge
    private let targetsUnresolved: Gauge
    private let targetsDeferred: Gauge
    private let roundDuration: Gauge
    private let rounds: Counter
    private let overruns: Counter
    private let synRetransmits: Counter
    /// HTTP probes' phases (resolve, connect, tls, processing, transfer), as blackbox_exporter names them.
    private let httpPhases: [String: DurationHistogram]
    private let http: HTTPProbeMetrics?
    private let synAttempts: Counter
    private let inFlight: Gauge
    private let pinglistLoaded: Gauge
    private let pinglistAge: Gauge
    private let pinglistReloads: Counter
    private let rejectedPinglists: Counter
    private let pulls: [PullOutcome: Counter]
    private let pullFailures: Gauge
    private let probing: Gauge
    private let clockOffsets: ClockOffsetGauges
    private let resolveTimes: ResolveTimeGauges

    /// Per-target series that exist right now, by target id.
    private let unhealthy = Mutex<[String: PerTargetSeries]>([:])
    private let histograms = Mutex<[String: DurationHistogram]>([:])
    private let pinglistInfo = Mutex<Gauge?>(nil)
    private let pinglistLoadedAt = Mutex<Date?>(nil)

    private enum PerTargetSeries {
        case failed(Gauge)
        case slow(Gauge)
    }

    /// - Parameters:
    ///   - kinds: the probe kinds this agent sends; their series exist from the start, so
    ///     `rate()` sees the first probes.
    ///   - upload: whether the agent uploads results (adds the `pingmesh_upload_*` series).
    public init(
        kinds: Set<ProbeKind>, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        perTargetHistograms: Bool = false, upload: Bool = false
    ) {
        self.registry = registry
        let health = AgentHealth()
        self.health = health
        self.upload = upload ? UploadMetrics(registry: registry, health: health) : nil
        self.perTargetHistograms = perTargetHistograms
        var rtt: [ProbeKind: DurationHistogram] = [:]
        var probes: [ProbeKind: [ProbeResultClass: Counter]] = [:]
        for kind in kinds {
            rtt[kind] = registry.makeDurationHistogram(
                descriptor: .pingmesh(
                    "pingmesh_probe_rtt_seconds", help: "Round-trip time of answered probes (ok and slow), by probe kind."),
                labels: [("kind", kind.rawValue)], buckets: MetricBuckets.rtt)
            var byResult: [ProbeResultClass: Counter] = [:]
            for result in ProbeResultClass.allCases {
                byResult[result] = registry.makeCounter(
                    descriptor: .pingmesh("pingmesh_probes_total", help: "Probes sent, by probe kind and result class."),
                    labels: [("kind", kind.rawValue), ("result", result.rawValue)])
            }
            probes[kind] = byResult
        }
        self.rtt = rtt
        self.probes = probes
        httpPhases =
            kinds.contains(.http)
            ? Dictionary(
                uniqueKeysWithValues: HTTPPhases.phaseNames.map { phase in
                    (
                        phase,
                        registry.makeDurationHistogram(
                            descriptor: .pingmesh(
                                "pingmesh_http_phase_seconds",
                                help:
                                    "Phases of answered HTTP probes: resolve (the host name's latest resolution; named targets only), connect (TCP handshake), tls (TLS handshake, HTTPS only), processing (request to first byte), transfer (first to last byte)."),
                            labels: [("phase", phase)], buckets: MetricBuckets.rtt)
                    )
                }) : [:]
        http = kinds.contains(.http) ? HTTPProbeMetrics(registry: registry) : nil
        let gauge = { (name: String, help: String) in registry.makeGauge(descriptor: .pingmesh(name, help: help)) }
        let counter = { (name: String, help: String) in registry.makeCounter(descriptor: .pingmesh(name, help: help)) }
        targets = gauge("pingmesh_agent_targets", "Targets in the pinglist being probed.")
        targetsSkipped = gauge(
            "pingmesh_agent_targets_skipped", "Pinglist targets not probed: a kind this agent cannot probe yet.")
        targetsUnresolved = gauge(
            "pingmesh_agent_targets_unresolved",
            "Pinglist targets whose host name has no address; each records an unresolved result every round.")
        targetsDeferred = gauge(
            "pingmesh_agent_targets_deferred", "Targets left out of the current round because their own interval has not elapsed.")
        roundDuration = gauge("pingmesh_agent_round_duration_seconds", "How long the last round took, from its start to its last answer.")
        rounds = counter("pingmesh_agent_rounds_total", "Probe rounds completed.")
        overruns = counter(
            "pingmesh_agent_round_overruns_total", "Rounds that ran past their interval; the next round then started at once.")
        inFlight = gauge("pingmesh_agent_probes_in_flight", "Probes sent and not yet answered.")
        synRetransmits = counter(
            "pingmesh_tcp_syn_retransmits_total",
            "SYNs the kernel sent again during TCP probe handshakes (TCP_INFO): each a SYN or SYN-ACK lost on the way (Pingmesh 4.2).")
        synAttempts = counter(
            "pingmesh_tcp_syns_total",
            "SYNs sent by completed TCP probe handshakes, retransmissions included; syn_retransmits / syns estimates the loss rate.")
        pinglistLoaded = gauge("pingmesh_agent_pinglist_loaded_timestamp_seconds", "Unix time the current pinglist was loaded.")
        pinglistAge = gauge("pingmesh_agent_pinglist_age_seconds", "Seconds since the current pinglist was loaded.")
        pinglistReloads = counter("pingmesh_agent_pinglist_reloads_total", "Pinglists loaded and swapped in.")
        rejectedPinglists = counter(
            "pingmesh_agent_pinglist_rejected_total", "New pinglists rejected as invalid; the previous one was kept.")
        var pulls: [PullOutcome: Counter] = [:]
        for outcome in PullOutcome.allCases {
            pulls[outcome] = registry.makeCounter(
                descriptor: .pingmesh("pingmesh_agent_pinglist_pulls_total", help: "Pinglist pulls from the controller, by outcome."),
                labels: [("result", outcome.rawValue)])
        }
        self.pulls = pulls
        pullFailures = gauge(
            "pingmesh_agent_pinglist_pull_failures", "Consecutive failed pinglist pulls; at 3 the agent stops probing.")
        probing = gauge(
            "pingmesh_agent_probing_enabled", "1 while the agent probes; 0 after the kill switch (failed pulls or an empty list).")
        clockOffsets = ClockOffsetGauges(registry: registry)
        resolveTimes = ResolveTimeGauges(registry: registry)
        probing.set(to: 1)
    }

    // MARK: ProbeRecorder

    public func record(_ outcome: ProbeOutcome, for scheduled: ScheduledTarget, sentAt: Date) {
        let kind = scheduled.target.kind
        probes[kind]?[outcome.result]?.increment()
        health.probed(failed: outcome.result.isFailure)
        // Pingmesh counts loss over handshakes that completed; failed connects are counted apart.
        if let retransmits = outcome.synRetransmits, outcome.connectRTT != nil {
            synAttempts.increment(by: Int64(1 + retransmits))
            if retransmits > 0 { synRetransmits.increment(by: Int64(retransmits)) }
        }
        if let phases = outcome.httpPhases, !outcome.result.isFailure {
            for (phase, value) in phases.named {
                if let value { httpPhases[phase]?.record(value) }
            }
        }
        http?.record(outcome, for: scheduled)
        if let value = outcome.rtt, outcome.result.isAnswered {
            rtt[kind]?.record(value)
            if perTargetHistograms { perTargetHistogram(for: scheduled).record(value) }
        }
        clockOffsets.record(outcome, for: scheduled)
        updateHealth(of: scheduled, outcome: outcome)
    }

    /// Creates, updates or removes the target's failing/slow series to match its latest outcome.
    private func updateHealth(of scheduled: ScheduledTarget, outcome: ProbeOutcome) {
        let id = scheduled.id
        let registry = self.registry
        unhealthy.withLock { series in
            let previous = series[id]
            switch (outcome.result, previous) {
            case (.ok, nil):
                return
            case (.slow, .slow(let gauge)):
                gauge.set(to: outcome.rtt?.seconds ?? 0)
                return
            case (let result, .failed) where result.isFailure:
                return
            default:
                break
            }
            switch previous {
            case .failed(let gauge)?: registry.unregisterGauge(gauge)
            case .slow(let gauge)?: registry.unregisterGauge(gauge)
            case nil: break
            }
            series[id] = nil
            let labels = TopologyLabels.perTarget(scheduled)
            if outcome.result.isFailure {
                let gauge = registry.makeGauge(
                    descriptor: .pingmesh(
                        "pingmesh_target_failed",
                        help: "1 while the target's latest probe failed (timeout, refused, unreachable, error, unresolved); absent otherwise."),
                    labels: labels)
                gauge.set(to: 1)
                series[id] = .failed(gauge)
            } else if outcome.result == .slow {
                let gauge = registry.makeGauge(
                    descriptor: .pingmesh(
                        "pingmesh_target_slow_rtt_seconds",
                        help: "RTT of the target's latest probe while it is above the target's delay; absent otherwise."), labels: labels)
                gauge.set(to: outcome.rtt?.seconds ?? 0)
                series[id] = .slow(gauge)
            }
        }
    }

    private func perTargetHistogram(for scheduled: ScheduledTarget) -> DurationHistogram {
        let id = scheduled.id
        let registry = self.registry
        return histograms.withLock { map in
            if let existing = map[id] { return existing }
            let histogram = registry.makeDurationHistogram(
                descriptor: .pingmesh("pingmesh_target_rtt_seconds", help: "Round-trip time per target (only with --metrics-per-target)."),
                labels: TopologyLabels.perTarget(scheduled), buckets: MetricBuckets.rtt)
            map[id] = histogram
            return histogram
        }
    }

    // MARK: SchedulerObserver

    public func roundStarted(at: Duration, targets: Int, deferred: Int) {
        targetsDeferred.set(Double(deferred))
    }

    public func roundFinished(at: Duration, duration: Duration, overran: Bool) {
        roundDuration.set(duration.seconds)
        rounds.increment()
        if overran { overruns.increment() }
    }

    public func probeStarted(_ target: ScheduledTarget, at: Duration) { inFlight.increment() }

    public func probeFinished(_ target: ScheduledTarget) { inFlight.decrement() }

    public func pinglistSwapped(to pinglist: ResolvedPinglist) {
        targets.set(Double(pinglist.targets.count))
        health.targets(pinglist.targets.count)
        targetsSkipped.set(Double(pinglist.skipped.count))
        targetsUnresolved.set(Double(pinglist.unresolved.count))
        // Unresolved targets keep their series: their failure is what an operator must see.
        let ids = Set(pinglist.scheduled.map(\.id))
        clockOffsets.keep(only: ids)
        let registry = self.registry
        http?.retain(ids: ids)
        // Series of targets that left the list would otherwise report a stale failure forever.
        unhealthy.withLock { series in
            for (id, entry) in series where !ids.contains(id) {
                switch entry {
                case .failed(let gauge), .slow(let gauge): registry.unregisterGauge(gauge)
                }
                series[id] = nil
            }
        }
        histograms.withLock { map in
            for (id, histogram) in map where !ids.contains(id) {
                registry.unregisterDurationHistogram(histogram)
                map[id] = nil
            }
        }
    }

    // MARK: Pinglist source

    /// The pinglist's names were resolved (at load or at a refresh): each named target's
    /// resolution time, failed ones included.
    public func namesResolved(_ pinglist: ResolvedPinglist) {
        resolveTimes.resolved(pinglist)
    }

    /// A pinglist was loaded (it swaps in at the next round boundary).
    public func pinglistLoaded(version: String, at date: Date = Date()) {
        pinglistReloads.increment()
        health.pinglist(version)
        pinglistLoaded.set(date.timeIntervalSince1970)
        pinglistLoadedAt.withLock { $0 = date }
        let registry = self.registry
        pinglistInfo.withLock { info in
            if let old = info { registry.unregisterGauge(old) }
            let gauge = registry.makeGauge(
                descriptor: .pingmesh("pingmesh_agent_pinglist_info", help: "Always 1; the version label names the pinglist in use."),
                labels: [("version", version)])
            gauge.set(to: 1)
            info = gauge
        }
    }

    /// How a pull from the controller ended.
    public enum PullOutcome: String, Sendable, CaseIterable {
        case ok
        case notModified = "not_modified"
        case unknownAgent = "unknown_agent"
        case failed
    }

    public func pullFinished(_ outcome: PullOutcome) { pulls[outcome]?.increment() }

    public func pullFailuresInARow(_ count: Int) { pullFailures.set(to: Double(count)) }

    public func probingEnabled(_ enabled: Bool) {
        probing.set(to: enabled ? 1 : 0)
        health.probing(enabled)
    }

    /// A new pinglist was invalid and the old one kept.
    public func pinglistRejected() { rejectedPinglists.increment() }

    /// The exposition text; refreshes values that depend on the time of the scrape.
    public func exposition(now: Date = Date()) -> [UInt8] {
        if let loaded = pinglistLoadedAt.withLock({ $0 }) {
            pinglistAge.set(now.timeIntervalSince(loaded))
        }
        return registry.emitToBuffer()
    }
}
