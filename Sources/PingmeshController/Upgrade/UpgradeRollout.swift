import Foundation
import PingmeshModel
import Synchronization

/// A rollout of one announced version, in waves: agents that report another version (and say
/// they install offers) wait as pending; at most `maxConcurrent` hold a slot ("upgrading") at
/// once, and only a slot holder finds the offer in its task poll. An agent that comes back
/// reporting the new version is done and frees its slot; one that reports a failure, or is not
/// back within `healthTimeoutSeconds`, is failed (and frees its slot too). When
/// failures reach `maxFailures` the rollout stops itself: no new offers, and it says why.
///
/// Memory only, per replica: with several controllers behind one VIP each replica runs its own
/// waves over the agents that poll it, so an agent may be offered by each (the agent installs one
/// offer at a time) and up to `maxConcurrent` agents per replica upgrade at once. A restarted
/// controller forgets its rollout; `--upgrade FILE` starts it again from the agents' reports.
public final class UpgradeRollout: Sendable {
    public enum RolloutError: Error, Sendable, CustomStringConvertible, Equatable {
        case invalid([ConfigIssue])
        case noRollout
        case otherVersion(reported: String, announced: String)

        public var description: String {
            switch self {
            case .invalid(let issues): return issues.map(\.description).joined(separator: "; ")
            case .noRollout: return "no upgrade is being rolled out (PUT /v1/upgrade)"
            case .otherVersion(let reported, let announced):
                return "version: '\(reported)' is not the version being rolled out ('\(announced)')"
            }
        }
    }

    private struct Record {
        var state: UpgradeStatus.AgentState
        var version: String
        var selfUpgrade: Bool
        var offeredAt: Int64?
        /// The version it ran when offered.
        var versionAtOffer: String?
        var finishedAt: Int64?
        var error: String?
    }

    private struct Rollout {
        var spec: UpgradeSpec
        var startedAt: Int64
        var agents: [String: Record] = [:]
        var stopReason: String?

        var target: String { spec.announcement.version }
        var upgrading: Int { agents.values.count { $0.state == .upgrading } }
        var failed: [String] { agents.filter { $0.value.state == .failed }.map(\.key).sorted() }
    }

    /// Agents tracked at most: names come from request paths, so an agent token must not be able
    /// to grow the controller's memory without bound.
    public static let maximumAgents = 200_000

    private let current = Mutex<Rollout?>(nil)
    private let now: @Sendable () -> Int64

    /// `now`: Unix seconds, injectable so tests move time without waiting.
    public init(now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.now = now
    }

    /// Starts rolling out `spec`, replacing any rollout in progress (its agents start over).
    public func start(_ spec: UpgradeSpec) throws(RolloutError) {
        let issues = spec.validationIssues()
        guard issues.isEmpty else { throw .invalid(issues) }
        let time = now()
        current.withLock { $0 = Rollout(spec: spec, startedAt: time) }
    }

    /// Cancels the rollout: no more offers. Agents already installing finish on their own.
    /// Returns whether there was one.
    @discardableResult
    public func cancel() -> Bool {
        current.withLock { current in
            defer { current = nil }
            return current != nil
        }
    }

    public var isActive: Bool { current.withLock { $0 != nil } }

    /// An agent reported its version (a pinglist pull): it may be back with the new one.
    public func observe(agent: String, version: String?) {
        guard let version else { return }
        let time = now()
        current.withLock { current in
            guard var rollout = current else { return }
            Self.expire(&rollout, at: time)
            Self.note(&rollout, agent: agent, version: version, selfUpgrade: nil, at: time)
            current = rollout
        }
    }

    /// An agent polled for tasks: records its version, and returns the offer when the agent may
    /// upgrade now (it is eligible and a wave slot is free). Agents that send no version are not
    /// part of the rollout.
    public func offer(agent: String, version: String?, selfUpgrade: Bool) -> UpgradeOffer? {
        guard let version else { return nil }
        let time = now()
        return current.withLock { current -> UpgradeOffer? in
            guard var rollout = current else { return nil }
            defer { current = rollout }
            Self.expire(&rollout, at: time)
            Self.note(&rollout, agent: agent, version: version, selfUpgrade: selfUpgrade, at: time)
            guard rollout.stopReason == nil, selfUpgrade, var record = rollout.agents[agent], record.state == .pending,
                rollout.upgrading < rollout.spec.rollout.maxConcurrent
            else { return nil }
            record.state = .upgrading
            record.offeredAt = time
            record.versionAtOffer = version
            rollout.agents[agent] = record
            return UpgradeOffer(rollout.spec.announcement)
        }
    }

    /// An agent could not install the offered version: failed at once.
    public func reportFailure(agent: String, report: UpgradeFailureReport) throws(RolloutError) {
        let time = now()
        try current.withLock { current throws(RolloutError) in
            guard var rollout = current else { throw .noRollout }
            guard report.version == rollout.target else { throw .otherVersion(reported: report.version, announced: rollout.target) }
            var record = rollout.agents[agent] ?? Record(state: .pending, version: "", selfUpgrade: true)
            guard record.state != .done else { return }
            record.state = .failed
            record.finishedAt = time
            record.error = String(report.error.prefix(1000))
            rollout.agents[agent] = record
            Self.checkFailures(&rollout)
            current = rollout
        }
    }

    /// Marks slot holders that stayed away too long as failed (also done on every report).
    public func expire() {
        let time = now()
        current.withLock { current in
            guard var rollout = current else { return }
            Self.expire(&rollout, at: time)
            current = rollout
        }
    }

    public func status() -> UpgradeStatus? {
        let time = now()
        return current.withLock { current -> UpgradeStatus? in
            guard var rollout = current else { return nil }
            Self.expire(&rollout, at: time)
            current = rollout
            let agents = rollout.agents.sorted { $0.key < $1.key }.map { name, record in
                UpgradeStatus.AgentEntry(
                    name: name, state: record.state, version: record.version, selfUpgrade: record.selfUpgrade, offeredAt: record.offeredAt,
                    finishedAt: record.finishedAt, error: record.error)
            }
            return UpgradeStatus(
                spec: rollout.spec, startedAt: rollout.startedAt, stopped: rollout.stopReason != nil, stopReason: rollout.stopReason,
                agents: agents)
        }
    }

    /// Records what an agent reports and moves it on: a new agent is pending, or done when it
    /// already runs the version (unless forced); a slot holder reporting the version is done.
    private static func note(_ rollout: inout Rollout, agent: String, version: String, selfUpgrade: Bool?, at time: Int64) {
        let force = rollout.spec.announcement.force
        guard rollout.agents[agent] != nil || rollout.agents.count < maximumAgents else { return }
        var record = rollout.agents[agent] ?? Record(state: .pending, version: version, selfUpgrade: false)
        record.version = version
        if let selfUpgrade { record.selfUpgrade = selfUpgrade }
        switch record.state {
        case .pending where version == rollout.target && !force:
            record.state = .done
            record.finishedAt = time
        case .upgrading where version == rollout.target:
            // With force the version string may not change. Then only a task poll counts as
            // back: the agent stops polling once it takes an offer, while its pinglist pulls go
            // on until the old process exits.
            if record.versionAtOffer != version || selfUpgrade != nil {
                record.state = .done
                record.finishedAt = time
            }
        default:
            break
        }
        rollout.agents[agent] = record
    }

    private static func expire(_ rollout: inout Rollout, at time: Int64) {
        let timeout = Int64(rollout.spec.rollout.healthTimeoutSeconds)
        var changed = false
        for (name, record) in rollout.agents where record.state == .upgrading {
            guard let offered = record.offeredAt, time - offered >= timeout else { continue }
            var failed = record
            failed.state = .failed
            failed.finishedAt = time
            failed.error = "did not come back reporting version \(rollout.target) within \(timeout) s (still reports \(record.version))"
            rollout.agents[name] = failed
            changed = true
        }
        if changed { checkFailures(&rollout) }
    }

    private static func checkFailures(_ rollout: inout Rollout) {
        let failed = rollout.failed
        let limit = rollout.spec.rollout.maxFailures
        guard rollout.stopReason == nil, failed.count >= limit else { return }
        rollout.stopReason =
            "\(failed.count) agent(s) failed to upgrade (max_failures \(limit)): \(failed.prefix(10).joined(separator: ", "))"
    }
}
