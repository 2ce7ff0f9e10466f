import Foundation
import PingmeshModel
import Synchronization

/// On-demand tasks in the controller's memory: which agents a task chose, which fetched it, and
/// what each sent back. An agent gets a task at most once (fetching moves it from pending to
/// running, and nothing hands out a running task again); a task starts nowhere after it
/// expires; finished tasks are kept for `retention`, then forgotten.
///
/// Tasks live in the replica that accepted them: with several controllers behind one VIP,
/// agents poll each controller they are given (`--controller A,B`), so every replica's tasks
/// reach them.
public final class TaskBoard: Sendable {
    public struct Limits: Sendable {
        /// Seconds a finished task's results are kept after it expires.
        public var retention: Int64
        /// Tasks kept at once (open and finished); beyond it new tasks are refused (429).
        public var maximumTasks: Int
        /// Seconds a fetched task may run past its expiry before it counts as expired.
        public var runningGrace: Int64

        public init(retention: Int64 = 3600, maximumTasks: Int = 1000, runningGrace: Int64 = 120) {
            self.retention = retention
            self.maximumTasks = maximumTasks
            self.runningGrace = runningGrace
        }
    }

    public enum BoardError: Error, Sendable, CustomStringConvertible, Equatable {
        case invalid([ConfigIssue])
        case noAgents(String)
        case full(Int)
        case unknownTask(String)
        case notChosen(task: String, agent: String)
        case alreadyReported(task: String, agent: String)

        public var description: String {
            switch self {
            case .invalid(let issues): return issues.map(\.description).joined(separator: "; ")
            case .noAgents(let selector): return "selector: '\(selector)' matches no agent the controller knows"
            case .full(let limit): return "\(limit) tasks are kept already; wait for some to expire"
            case .unknownTask(let id): return "task '\(id)' is unknown (never created, or expired and forgotten)"
            case .notChosen(let task, let agent): return "agent '\(agent)' is not one of task \(task)'s agents"
            case .alreadyReported(let task, let agent): return "agent '\(agent)' already reported task \(task)"
            }
        }
    }

    private struct Entry {
        var status: TaskStatus
        /// Position of each agent in `status.agents`.
        var index: [String: Int]
    }

    private struct Board {
        var tasks: [String: Entry] = [:]
        /// Task ids in creation order, so agents run tasks in the order they were asked for.
        var order: [String] = []
        /// Per agent, the long polls waiting for a task.
        var waiters: [String: [UUID: AsyncStream<Void>.Continuation]] = [:]
        /// Set at shutdown: long polls end at once, so the server stops without waiting them out.
        var closed = false
    }

    public let limits: Limits
    private let board = Mutex(Board())
    private let now: @Sendable () -> Int64

    public init(limits: Limits = Limits(), now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.limits = limits
        self.now = now
    }

    /// Creates a task for the agents whose labels (with `name` added) match the selector.
    public func create(_ spec: TaskSpec, agents: [(name: String, labels: [String: String])]) throws(BoardError) -> TaskStatus {
        let issues = spec.validationIssues()
        guard issues.isEmpty else { throw .invalid(issues) }
        let selector: LabelSelector
        do {
            selector = try LabelSelector(parsing: spec.selector)
        } catch {
            throw .invalid([ConfigIssue(path: "selector", reason: error.description)])
        }
        let chosen = agents.filter { agent in
            var labels = agent.labels
            labels["name"] = agent.name
            return selector.matches(labels)
        }.map(\.name).sorted()
        guard !chosen.isEmpty else { throw .noAgents(spec.selector) }
        let created = now()
        let status = TaskStatus(
            id: UUID().uuidString.lowercased(), selector: spec.selector, action: spec.action, createdAt: created,
            expiresAt: created + Int64(spec.expiresInSeconds ?? TaskSpec.defaultExpiry),
            agents: chosen.map { TaskStatus.AgentEntry(name: $0, state: .pending) })
        let maximum = limits.maximumTasks
        let woken = try board.withLock { board throws(BoardError) -> [AsyncStream<Void>.Continuation] in
            guard board.tasks.count < maximum else { throw .full(maximum) }
            board.tasks[status.id] = Entry(status: status, index: Dictionary(uniqueKeysWithValues: chosen.enumerated().map { ($1, $0) }))
            board.order.append(status.id)
            return chosen.flatMap { board.waiters[$0].map { Array($0.values) } ?? [] }
        }
        for waiter in woken { waiter.yield() }
        return status
    }

    public func status(_ id: String) -> TaskStatus? {
        board.withLock { $0.tasks[id]?.status }
    }

    /// Every kept task, newest first.
    public func all() -> [TaskStatus] {
        board.withLock { board in board.order.reversed().compactMap { board.tasks[$0]?.status } }
    }

    /// Hands `agent` its pending, unexpired tasks, oldest first, marking them running.
    public func take(agent: String) -> [TaskDispatch] {
        let time = now()
        return board.withLock { board in
            var handed: [TaskDispatch] = []
            for id in board.order {
                guard var entry = board.tasks[id], let at = entry.index[agent], entry.status.agents[at].state == .pending,
                    time < entry.status.expiresAt
                else { continue }
                entry.status.agents[at].state = .running
                entry.status.agents[at].fetchedAt = time
                board.tasks[id] = entry
                handed.append(TaskDispatch(id: id, action: entry.status.action, expiresAt: entry.status.expiresAt))
            }
            return handed
        }
    }

    /// `take`, or when there is nothing, waits up to `wait` for a task for `agent` (a long poll,
    /// so a new task starts within a second rather than at the next pull).
    /// Ends every long poll now and every later one at once: the controller is stopping, and a
    /// graceful stop waits for requests in flight, which a 25 s poll would hold up.
    public func close() {
        let waiting = board.withLock { board -> [AsyncStream<Void>.Continuation] in
            board.closed = true
            return board.waiters.values.flatMap(\.values)
        }
        for continuation in waiting { continuation.yield() }
    }

    public func waitForTasks(agent: String, wait: Duration) async -> [TaskDispatch] {
        let ready = take(agent: agent)
        guard ready.isEmpty, wait > .zero else { return ready }
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let key = UUID()
        let closed = board.withLock { board -> Bool in
            if !board.closed { board.waiters[agent, default: [:]][key] = continuation }
            return board.closed
        }
        guard !closed else { return ready }
        defer {
            board.withLock { board in
                board.waiters[agent]?[key] = nil
                if board.waiters[agent]?.isEmpty == true { board.waiters[agent] = nil }
            }
        }
        // A task created between the first look and the registration has woken nobody.
        let raced = take(agent: agent)
        guard raced.isEmpty else { return raced }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in stream { return }
            }
            group.addTask { try? await Task.sleep(for: wait) }
            await group.next()
            group.cancelAll()
        }
        return take(agent: agent)
    }

    /// Long polls waiting now (for metrics and tests).
    public var waitingPolls: Int { board.withLock { $0.waiters.values.reduce(0) { $0 + $1.count } } }

    /// Stores what `agent` sent for task `id`. A result is accepted once, from a chosen agent,
    /// whether or not it fetched the task through this replica.
    public func report(task id: String, agent: String, outcome: TaskOutcome) throws(BoardError) {
        let time = now()
        try board.withLock { board throws(BoardError) in
            guard var entry = board.tasks[id] else { throw .unknownTask(id) }
            guard let at = entry.index[agent] else { throw .notChosen(task: id, agent: agent) }
            switch entry.status.agents[at].state {
            case .done, .failed: throw .alreadyReported(task: id, agent: agent)
            case .pending, .running, .expired: break
            }
            entry.status.agents[at].state = outcome.succeeded ? .done : .failed
            entry.status.agents[at].finishedAt = time
            entry.status.agents[at].outcome = outcome
            board.tasks[id] = entry
        }
    }

    /// Marks what can no longer happen as expired and forgets tasks past their retention.
    public func expire() {
        let time = now()
        let (grace, retention) = (limits.runningGrace, limits.retention)
        board.withLock { board in
            for id in board.order {
                guard var entry = board.tasks[id] else { continue }
                if time >= entry.status.expiresAt + retention {
                    board.tasks[id] = nil
                    continue
                }
                var changed = false
                for at in entry.status.agents.indices {
                    let state = entry.status.agents[at].state
                    if (state == .pending && time >= entry.status.expiresAt) || (state == .running && time >= entry.status.expiresAt + grace) {
                        entry.status.agents[at].state = .expired
                        changed = true
                    }
                }
                if changed { board.tasks[id] = entry }
            }
            board.order.removeAll { board.tasks[$0] == nil }
        }
    }

    /// Agents' states summed over the kept tasks, for metrics.
    public func stateCounts() -> [TaskStatus.AgentState: Int] {
        board.withLock { board in
            var counts: [TaskStatus.AgentState: Int] = [:]
            for entry in board.tasks.values {
                for agent in entry.status.agents { counts[agent.state, default: 0] += 1 }
            }
            return counts
        }
    }
}
