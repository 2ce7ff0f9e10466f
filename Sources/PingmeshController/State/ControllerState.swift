import Foundation
import Logging
import PingmeshModel
import Synchronization

/// The merged view of every discovery source, and the plan computed from it. Sources report
/// changes here; a rebuild merges them, validates the result and plans it off the request path;
/// requests read the latest snapshot without waiting on anything.
public final class ControllerState: Sendable {
    public struct Configuration: Sendable {
        public var mesh: RegistrationMesh
        /// A registered agent unseen (no registration, no pull) this long drops out.
        public var registrationTTL: Duration
        public var registrationEnabled: Bool
        /// An agent unheard from this long is down in `pingmesh_agent_up` (agents pull every 30 s
        /// and long-poll for tasks, so a live agent is heard from far more often).
        public var agentStaleAfter: Duration = .seconds(120)
        /// Most `pingmesh_agent_up` series, down agents first.
        public var agentUpSeriesCap: Int = 5000

        public init(
            mesh: RegistrationMesh = RegistrationMesh(), registrationTTL: Duration = .seconds(120), registrationEnabled: Bool = true
        ) {
            self.mesh = mesh
            self.registrationTTL = registrationTTL
            self.registrationEnabled = registrationEnabled
        }
    }

    struct Registered: Sendable {
        var registration: AgentRegistration
        var lastSeen: ContinuousClock.Instant
    }

    private struct Inputs: Sendable {
        var file: TopologyFile?
        var kubernetes: TopologyFile?
        var registered: [String: Registered] = [:]
        var generation = 0
    }

    public let configuration: Configuration
    private let inputs = Mutex(Inputs())
    private let current = Mutex<PlanSnapshot?>(nil)
    /// When each agent last pulled its pinglist or polled for tasks.
    private let lastContact = Mutex<[String: ContinuousClock.Instant]>([:])
    /// Each agent's latest heartbeat, and when it came.
    private let heartbeats = Mutex<[String: (heartbeat: AgentHeartbeat, at: Date)]>([:])
    private let changes: AsyncStream<Void>.Continuation
    private let changeStream: AsyncStream<Void>
    private let logger: Logger
    let metrics: ControllerMetrics

    public init(
        configuration: Configuration = Configuration(), metrics: ControllerMetrics, logger: Logger = Logger(label: "pingmesh.controller")
    ) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        (changeStream, changes) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The latest plan, nil until the first one is computed.
    public var snapshot: PlanSnapshot? { current.withLock { $0 } }

    /// A new valid topology file (the watcher validated it on its own first).
    public func setTopologyFile(_ file: TopologyFile?) {
        inputs.withLock {
            $0.file = file; $0.generation += 1
        }
        changes.yield()
    }

    /// The servers Kubernetes discovery sees now.
    public func setKubernetes(_ topology: TopologyFile?) {
        let changed = inputs.withLock { inputs -> Bool in
            guard inputs.kubernetes != topology else { return false }
            inputs.kubernetes = topology
            inputs.generation += 1
            return true
        }
        if changed { changes.yield() }
    }

    /// The file and Kubernetes sources merged, before registrations.
    private static func base(_ inputs: Inputs) -> TopologyFile {
        let file = inputs.file ?? TopologyFile(datacenters: [])
        return inputs.kubernetes.map { file.adding($0) } ?? file
    }

    /// Registers or refreshes an agent. Returns the issues that make it unacceptable: its own
    /// fields, or a clash with the servers already known (a name or address in use).
    public func register(_ registration: AgentRegistration) -> [ConfigIssue] {
        var issues = registration.validationIssues()
        guard issues.isEmpty else { return issues }
        let (isNew, merged) = inputs.withLock { inputs -> (Bool, TopologyFile) in
            let others = inputs.registered.values.map(\.registration).filter { $0.name != registration.name }
            return (
                inputs.registered[registration.name]?.registration != registration,
                (inputs.file ?? TopologyFile(datacenters: [])).merging(others + [registration], mesh: configuration.mesh)
            )
        }
        if isNew {
            do {
                _ = try merged.validated(file: "registration")
            } catch {
                // Keep only what concerns this agent: the clash, not unrelated topology issues.
                issues = error.issues.filter { $0.description.contains(registration.name) || $0.reason.contains("already") }
                if issues.isEmpty { issues = error.issues }
                return issues.map { ConfigIssue(path: "", reason: "conflicts with the known servers: \($0)") }
            }
        }
        inputs.withLock { inputs in
            inputs.registered[registration.name] = Registered(registration: registration, lastSeen: .now)
            if isNew { inputs.generation += 1 }
        }
        if isNew { changes.yield() }
        return []
    }

    /// A pull (or a task poll) is an agent's heartbeat: it keeps a registration alive and
    /// marks the agent up.
    public func seen(agent: String, heartbeat: AgentHeartbeat? = nil) {
        let now = ContinuousClock.now
        inputs.withLock { $0.registered[agent]?.lastSeen = now }
        lastContact.withLock { $0[agent] = now }
        if let heartbeat {
            let planned = snapshot?.version(for: agent) != nil
            // Only planned agents: a token holder cannot grow this table with made-up names.
            if planned { heartbeats.withLock { $0[agent] = (heartbeat, Date()) } }
        }
    }

    /// Seconds since each agent was last heard from (nil: never), and its latest heartbeat.
    public func contact(of agent: String, now: ContinuousClock.Instant = .now) -> (secondsAgo: Double?, heartbeat: AgentHeartbeat?) {
        let seen = lastContact.withLock { $0[agent] }
        return (seen.map { $0.duration(to: now).seconds }, heartbeats.withLock { $0[agent]?.heartbeat })
    }

    /// Every planned agent and whether it was heard from within `staleAfter`; agents that left
    /// the plan are forgotten.
    public func agentLiveness(staleAfter: Duration, now: ContinuousClock.Instant = .now) -> [(name: String, up: Bool)] {
        guard let topology = snapshot?.plan.topology else { return [] }
        let names = topology.servers.map(\.name)
        return lastContact.withLock { contact in
            if contact.count > names.count {
                let planned = Set(names)
                contact = contact.filter { planned.contains($0.key) }
            }
            return names.map { name in (name, contact[name].map { $0.duration(to: now) <= staleAfter } ?? false) }
        }
    }

    public var registered: [AgentRegistration] {
        inputs.withLock { $0.registered.values.map(\.registration).sorted { $0.name < $1.name } }
    }

    /// The registrations heard from within the TTL, with how long ago, in name order: what this
    /// replica pushes to its peers.
    public func registrationsForPeers(now: ContinuousClock.Instant = .now) -> [PeerRegistrations.Entry] {
        let ttl = configuration.registrationTTL
        return inputs.withLock { inputs in
            inputs.registered.values.filter { now - $0.lastSeen <= ttl }.sorted { $0.registration.name < $1.registration.name }.map {
                PeerRegistrations.Entry(registration: $0.registration, seenSecondsAgo: max(0, ($0.lastSeen.duration(to: now)).seconds))
            }
        }
    }

    /// A peer replica's registrations. An agent this replica does not know is registered (a clash
    /// with the known servers refuses it, as it would refuse the agent itself); an agent known
    /// with other fields takes the fields of the replica that heard from it last; and every
    /// agent's last contact becomes the later of the two replicas', so a registration lives as
    /// long as any replica hears from the agent and expires on all of them alike. Entries older
    /// than the TTL are ignored. Returns the names refused.
    public func mergePeerRegistrations(_ entries: [PeerRegistrations.Entry], now: ContinuousClock.Instant = .now) -> [String] {
        let ttl = configuration.registrationTTL
        var refused: [String] = []
        for entry in entries {
            let name = entry.registration.name
            // Compared as numbers first: a huge value must not become a Duration.
            guard entry.seenSecondsAgo.isFinite, entry.seenSecondsAgo >= 0, entry.seenSecondsAgo <= ttl.seconds else { continue }
            let seen = now - .seconds(entry.seenSecondsAgo)
            let local = inputs.withLock { $0.registered[name] }
            let replace = local.map { $0.registration != entry.registration && seen > $0.lastSeen } ?? true
            if replace, !register(entry.registration).isEmpty {
                refused.append(name)
                continue
            }
            inputs.withLock { inputs in
                // register() stamped now; the agent was last heard from at the later contact.
                inputs.registered[name]?.lastSeen = max(local?.lastSeen ?? seen, seen)
            }
        }
        return refused
    }

    /// Drops registrations unseen for longer than the TTL.
    func expireRegistrations(now: ContinuousClock.Instant = .now) {
        let ttl = configuration.registrationTTL
        let expired = inputs.withLock { inputs -> [String] in
            let gone = inputs.registered.filter { now - $0.value.lastSeen > ttl }.map(\.key)
            for name in gone { inputs.registered[name] = nil }
            if !gone.isEmpty { inputs.generation += 1 }
            return gone
        }
        if !expired.isEmpty {
            logger.info("registered agents expired", metadata: ["agents": "\(expired.sorted())"])
            changes.yield()
        }
    }

    /// Recomputes the plan whenever an input changes, at most once per `minimumGap`, until cancelled.
    func runRebuilds(minimumGap: Duration = .milliseconds(200)) async {
        rebuild()
        for await _ in changeStream {
            rebuild()
            try? await Task.sleep(for: minimumGap)
        }
    }

    /// Merges, validates and plans the current inputs; a failure keeps the last good plan.
    func rebuild() {
        let (base, registrations, generation) = inputs.withLock { (Self.base($0), $0.registered.values.map(\.registration), $0.generation) }
        let merged = base.merging(registrations, mesh: configuration.mesh)
        guard merged.datacenters.contains(where: { $0.podsets.contains { $0.pods.contains { !$0.servers.isEmpty } } }) else {
            logger.debug("no servers known yet; no plan")
            return
        }
        let started = ContinuousClock.now
        do {
            let topology = try merged.validated(file: "merged topology")
            let plan = ProbePlanner.plan(topology)
            let seconds = started.duration(to: .now).seconds
            let snapshot = PlanSnapshot(plan: plan, topology: merged, computedAt: Date(), computeSeconds: seconds)
            current.withLock { $0 = snapshot }
            metrics.planBuilt(snapshot, registered: registrations.count)
            if !plan.dropped.isEmpty {
                logger.warning(
                    "caps thinned the plan", metadata: ["dropped": "\(plan.dropped.map { "\($0.key.rawValue)=\($0.value)" }.sorted())"])
            }
            logger.info(
                "plan computed",
                metadata: ["agents": "\(topology.servers.count)", "seconds": "\(seconds)", "generation": "\(generation)"])
        } catch {
            metrics.planRejected()
            logger.error("merged topology invalid; keeping the last plan", metadata: ["errors": "\(error)"])
        }
    }
}
