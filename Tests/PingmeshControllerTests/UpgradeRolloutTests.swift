import Foundation
import PingmeshModel
import Synchronization
import Testing

@testable import PingmeshController

/// The rollout's waves on a clock the test moves.
@Suite("Upgrade rollout")
struct UpgradeRolloutTests {
    static let digest = String(repeating: "0f", count: 32)

    /// Unix seconds the test sets.
    final class TestClock: Sendable {
        private let seconds = Mutex<Int64>(1_000_000)
        var now: Int64 { seconds.withLock { $0 } }
        func advance(_ by: Int64) { seconds.withLock { $0 += by } }
    }

    static func spec(
        version: String = "2.0", force: Bool = false, maxConcurrent: Int = 2, healthTimeout: Int = 60, maxFailures: Int = 1
    ) -> UpgradeSpec {
        UpgradeSpec(
            announcement: .init(version: version, url: "https://releases.example/pingmesh", sha256: digest, force: force),
            rollout: .init(maxConcurrent: maxConcurrent, healthTimeoutSeconds: healthTimeout, maxFailures: maxFailures))
    }

    static func rollout(_ spec: UpgradeSpec, clock: TestClock = TestClock()) throws -> UpgradeRollout {
        let rollout = UpgradeRollout(now: { clock.now })
        try rollout.start(spec)
        return rollout
    }

    private func states(_ rollout: UpgradeRollout) -> [String: UpgradeStatus.AgentState] {
        Dictionary(uniqueKeysWithValues: (rollout.status()?.agents ?? []).map { ($0.name, $0.state) })
    }

    @Test("waves never exceed max_concurrent: 5 eligible agents, 2 slots, offers only to slot holders")
    func waveCap() throws {
        let rollout = try Self.rollout(Self.spec(maxConcurrent: 2))
        let agents = (1...5).map { "agent-\($0)" }
        var offered: [String] = []
        for _ in 0..<3 {
            for agent in agents where rollout.offer(agent: agent, version: "1.0", selfUpgrade: true) != nil { offered.append(agent) }
        }
        #expect(offered == ["agent-1", "agent-2"])
        #expect(rollout.status()?.counts == ["pending": 3, "upgrading": 2, "done": 0, "failed": 0])
    }

    @Test("an agent reporting the new version frees its slot for the next")
    func slotFreed() throws {
        let rollout = try Self.rollout(Self.spec(maxConcurrent: 1))
        let offer = try #require(rollout.offer(agent: "a", version: "1.0", selfUpgrade: true))
        #expect(offer == UpgradeOffer(version: "2.0", url: "https://releases.example/pingmesh", sha256: Self.digest, force: false))
        #expect(rollout.offer(agent: "b", version: "1.0", selfUpgrade: true) == nil)
        // Back with the new version, through a pinglist pull.
        rollout.observe(agent: "a", version: "2.0")
        #expect(states(rollout)["a"] == .done)
        #expect(rollout.offer(agent: "b", version: "1.0", selfUpgrade: true) != nil)
        #expect(rollout.offer(agent: "a", version: "2.0", selfUpgrade: true) == nil)
    }

    @Test("agents without --self-upgrade, or that send no version, get no offer and hold no slot")
    func onlyWillingAgents() throws {
        let rollout = try Self.rollout(Self.spec(maxConcurrent: 1))
        #expect(rollout.offer(agent: "old", version: nil, selfUpgrade: false) == nil)
        #expect(rollout.offer(agent: "off", version: "1.0", selfUpgrade: false) == nil)
        #expect(rollout.offer(agent: "on", version: "1.0", selfUpgrade: true) != nil)
        #expect(states(rollout) == ["off": .pending, "on": .upgrading])
        #expect(rollout.status()?.agents.first { $0.name == "off" }?.selfUpgrade == false)
    }

    @Test("an agent already on the version is done without an offer")
    func alreadyCurrent() throws {
        let rollout = try Self.rollout(Self.spec())
        #expect(rollout.offer(agent: "a", version: "2.0", selfUpgrade: true) == nil)
        #expect(states(rollout) == ["a": .done])
    }

    @Test("health timeout: an offered agent that never reports the version fails, and max_failures stops the rollout")
    func healthTimeoutStops() throws {
        let clock = TestClock()
        let rollout = try Self.rollout(Self.spec(maxConcurrent: 2, healthTimeout: 60, maxFailures: 2), clock: clock)
        #expect(rollout.offer(agent: "a", version: "1.0", selfUpgrade: true) != nil)
        clock.advance(30)
        #expect(rollout.offer(agent: "b", version: "1.0", selfUpgrade: true) != nil)
        clock.advance(30)
        // a's 60 s are up: failed, its slot free, but one failure is below max_failures 2.
        #expect(rollout.offer(agent: "c", version: "1.0", selfUpgrade: true) != nil)
        #expect(states(rollout)["a"] == .failed)
        #expect(rollout.status()?.stopped == false)
        clock.advance(30)
        rollout.expire()
        let status = try #require(rollout.status())
        #expect(status.agents.first { $0.name == "b" }?.state == .failed)
        #expect(status.stopped)
        #expect(status.stopReason?.contains("max_failures 2") == true, "\(status.stopReason ?? "")")
        #expect(status.agents.first { $0.name == "a" }?.error?.contains("within 60 s") == true)
        // Stopped: no new offers, even with a free slot.
        #expect(rollout.offer(agent: "d", version: "1.0", selfUpgrade: true) == nil)
    }

    @Test("a reported install failure fails the agent at once and stops the rollout at max_failures 1")
    func reportedFailure() throws {
        let rollout = try Self.rollout(Self.spec(maxConcurrent: 1))
        #expect(rollout.offer(agent: "a", version: "1.0", selfUpgrade: true) != nil)
        #expect(throws: UpgradeRollout.RolloutError.self) {
            try rollout.reportFailure(agent: "a", report: .init(version: "1.5", error: "sha256 mismatch"))
        }
        try rollout.reportFailure(agent: "a", report: .init(version: "2.0", error: "sha256 mismatch"))
        let status = try #require(rollout.status())
        #expect(status.stopped && status.agents.first?.error == "sha256 mismatch")
        #expect(rollout.offer(agent: "b", version: "1.0", selfUpgrade: true) == nil)
    }

    @Test("force: offered even when the version matches, once per agent")
    func forceOnce() throws {
        let rollout = try Self.rollout(Self.spec(force: true, maxConcurrent: 5))
        #expect(rollout.offer(agent: "a", version: "2.0", selfUpgrade: true)?.force == true)
        // The old process's pinglist pulls do not count as back; the next task poll does.
        rollout.observe(agent: "a", version: "2.0")
        #expect(states(rollout)["a"] == .upgrading)
        #expect(rollout.offer(agent: "a", version: "2.0", selfUpgrade: true) == nil)
        #expect(states(rollout)["a"] == .done)
        for _ in 0..<3 { #expect(rollout.offer(agent: "a", version: "2.0", selfUpgrade: true) == nil) }
    }

    @Test("cancel: no rollout, no offers")
    func cancel() throws {
        let rollout = try Self.rollout(Self.spec())
        #expect(rollout.cancel())
        #expect(rollout.status() == nil && !rollout.isActive)
        #expect(rollout.offer(agent: "a", version: "1.0", selfUpgrade: true) == nil)
        #expect(!rollout.cancel())
    }

    @Test("an invalid spec is refused, naming the field")
    func invalidSpec() {
        let rollout = UpgradeRollout()
        var spec = Self.spec()
        spec.announcement.sha256 = "nope"
        #expect(throws: UpgradeRollout.RolloutError.self) { try rollout.start(spec) }
        do {
            try rollout.start(spec)
        } catch {
            #expect(error.description.hasPrefix("sha256: "))
        }
    }
}
