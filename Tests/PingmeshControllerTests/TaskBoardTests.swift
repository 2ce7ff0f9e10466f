import Foundation
import PingmeshModel
import Synchronization
import Testing

@testable import PingmeshController

@Suite("Task board")
struct TaskBoardTests {
    static let agents: [(name: String, labels: [String: String])] = [
        ("s1", ["dc": "dc1", "tor": "t1", "region": "eu"]),
        ("s2", ["dc": "dc1", "tor": "t12", "region": "eu"]),
        ("s3", ["dc": "dc1", "tor": "t2", "region": "eu", "app": "batch"]),
        ("s4", ["dc": "dc2", "tor": "t1", "region": "us"]),
    ]

    static let probe = TaskAction.probe(ManualProbeRequest(kind: "tcp", target: "127.0.0.1:9301", count: 2))

    /// A board on a clock the test moves.
    final class Clock: Sendable {
        let seconds = Mutex<Int64>(1_000_000)
        func advance(_ by: Int64) { seconds.withLock { $0 += by } }
    }

    func board(_ clock: Clock = Clock(), limits: TaskBoard.Limits = .init()) -> TaskBoard {
        TaskBoard(limits: limits) { clock.seconds.withLock { $0 } }
    }

    @Test(
        "the selector chooses agents by name and by any label, with =, !=, =~ and !~",
        arguments: [
            ("dc=dc1", ["s1", "s2", "s3"]),
            ("dc=dc1,tor=~t1.*", ["s1", "s2"]),
            ("tor!=t1", ["s2", "s3"]),
            ("name!~s[12]", ["s3", "s4"]),
            ("app=batch", ["s3"]),
            ("app!=batch,region=~e.", ["s1", "s2"]),
            ("name=s4", ["s4"]),
        ])
    func selector(selector: String, expected: [String]) throws {
        let status = try board().create(TaskSpec(selector: selector, action: Self.probe), agents: Self.agents)
        #expect(status.agents.map(\.name) == expected)
        #expect(status.agents.allSatisfy { $0.state == .pending })
    }

    @Test("a bad spec is refused with the field named; a selector matching nobody too")
    func refusals() {
        let board = board()
        #expect(throws: TaskBoard.BoardError.self) { try board.create(TaskSpec(selector: "dc", action: Self.probe), agents: Self.agents) }
        do {
            _ = try board.create(
                TaskSpec(
                    selector: "dc=dc1", action: .probe(ManualProbeRequest(kind: "tcp", target: "127.0.0.1:1", count: 50, size: 70_000)),
                    expiresInSeconds: 0), agents: Self.agents)
            Issue.record("accepted a bad spec")
        } catch {
            let text = error.description
            #expect(text.contains("expires_in_seconds"))
            #expect(text.contains("action.probe.count"))
            #expect(text.contains("action.probe.size"))
        }
        #expect(throws: TaskBoard.BoardError.noAgents("dc=dc9")) {
            try board.create(TaskSpec(selector: "dc=dc9", action: Self.probe), agents: Self.agents)
        }
    }

    @Test("an agent is handed a task once; others still get theirs; results are taken once, from chosen agents")
    func atMostOnce() throws {
        let board = board()
        let status = try board.create(TaskSpec(selector: "dc=dc1", action: Self.probe), agents: Self.agents)
        #expect(board.take(agent: "s1").map(\.id) == [status.id])
        #expect(board.take(agent: "s1").isEmpty)
        #expect(board.take(agent: "s4").isEmpty)
        #expect(board.status(status.id)?.agents.first?.state == .running)
        try board.report(task: status.id, agent: "s1", outcome: TaskOutcome(error: "kind: refused"))
        #expect(throws: TaskBoard.BoardError.alreadyReported(task: status.id, agent: "s1")) {
            try board.report(task: status.id, agent: "s1", outcome: TaskOutcome(error: "again"))
        }
        #expect(throws: TaskBoard.BoardError.notChosen(task: status.id, agent: "s4")) {
            try board.report(task: status.id, agent: "s4", outcome: TaskOutcome(error: "x"))
        }
        #expect(throws: TaskBoard.BoardError.unknownTask("nope")) { try board.report(task: "nope", agent: "s1", outcome: TaskOutcome()) }
        let progress = try #require(board.status(status.id)?.progress)
        #expect(progress.failed == 1 && progress.pending == 2 && !progress.finished)
    }

    @Test("an expired task starts nowhere, a fetched one expires after the grace, and results are forgotten after retention")
    func expiry() throws {
        let clock = Clock()
        let board = board(clock, limits: .init(retention: 600, runningGrace: 60))
        let status = try board.create(TaskSpec(selector: "dc=dc1", action: Self.probe, expiresInSeconds: 30), agents: Self.agents)
        #expect(board.take(agent: "s1").count == 1)
        clock.advance(30)
        #expect(board.take(agent: "s2").isEmpty)
        board.expire()
        var states = try #require(board.status(status.id)).agents.map(\.state)
        #expect(states == [.running, .expired, .expired])
        clock.advance(60)
        board.expire()
        states = try #require(board.status(status.id)).agents.map(\.state)
        #expect(states == [.expired, .expired, .expired])
        // A late answer is still worth keeping.
        try board.report(task: status.id, agent: "s1", outcome: TaskOutcome(error: "late"))
        clock.advance(600)
        board.expire()
        #expect(board.status(status.id) == nil)
        #expect(board.all().isEmpty)
    }

    @Test("a long poll returns as soon as a task for its agent is created, and only then")
    func longPoll() async throws {
        let board = board()
        let started = ContinuousClock.now
        async let waited = board.waitForTasks(agent: "s3", wait: .seconds(20))
        while board.waitingPolls == 0 { try await Task.sleep(for: .milliseconds(5)) }
        // A task for someone else does not wake it.
        _ = try board.create(TaskSpec(selector: "dc=dc2", action: Self.probe), agents: Self.agents)
        try await Task.sleep(for: .milliseconds(50))
        #expect(board.waitingPolls == 1)
        let mine = try board.create(TaskSpec(selector: "app=batch", action: Self.probe), agents: Self.agents)
        let handed = await waited
        #expect(handed.map(\.id) == [mine.id])
        #expect(started.duration(to: .now) < .seconds(10))
        #expect(board.waitingPolls == 0)
        // Nothing pending: an empty answer after the wait.
        #expect(await board.waitForTasks(agent: "s3", wait: .milliseconds(50)).isEmpty)
    }

    @Test("the board refuses tasks beyond its cap")
    func cap() throws {
        let board = board(limits: .init(maximumTasks: 2))
        for _ in 0..<2 { _ = try board.create(TaskSpec(selector: "dc=dc1", action: Self.probe), agents: Self.agents) }
        #expect(throws: TaskBoard.BoardError.full(2)) { try board.create(TaskSpec(selector: "dc=dc1", action: Self.probe), agents: Self.agents) }
    }
}
