import Foundation
import Logging
import PingmeshModel
import UnixSignals

/// `pingmesh agent --pinglist FILE`: the list comes from a file, reloaded when its content
/// changes and on SIGHUP. A bad new file is rejected with a log line and a counter, and the
/// agent keeps probing with the last good list.
public struct StaticPinglistFile: PinglistSource {
    public var path: String
    /// How often the file is checked for a change.
    public var pollInterval: Duration
    public var logger: Logger

    public init(path: String, pollInterval: Duration = .seconds(2), logger: Logger = Logger(label: "pingmesh.pinglist")) {
        self.path = path
        self.pollInterval = pollInterval
        self.logger = logger
    }

    public func run(metrics: AgentMetrics, deliver: @escaping @Sendable (Pinglist) async -> Void) async throws {
        let state = ReloadState()
        let path = self.path
        let logger = self.logger
        let reload: @Sendable (String) async -> Void = { trigger in
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else {
                if await state.noteUnreadable() {
                    logger.error("cannot read the pinglist file; keeping the current list", metadata: ["file": "\(path)"])
                }
                return
            }
            guard await state.isNew(data) else { return }
            do {
                let (pinglist, format) = try PinglistDecoder.decode(data, file: path)
                logger.info(
                    "pinglist loaded",
                    metadata: [
                        "file": "\(path)", "version": "\(pinglist.version)", "format": "\(format.rawValue)",
                        "targets": "\(pinglist.targets.count)", "trigger": "\(trigger)",
                    ]
                )
                await deliver(pinglist)
            } catch {
                metrics.pinglistRejected()
                logger.error("new pinglist rejected; keeping the current list", metadata: ["file": "\(path)", "errors": "\(error)"])
            }
        }

        await reload("start")
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    await state.forget()
                    await reload("SIGHUP")
                }
            }
            group.addTask { [pollInterval] in
                while true {
                    try await Task.sleep(for: pollInterval)
                    await reload("change")
                }
            }
        }
    }
}

/// What the last read of the file held, so unchanged content is not reloaded and an unreadable
/// file is reported once, not every poll.
private actor ReloadState {
    private var lastContent: Data?
    private var reportedUnreadable = false

    func isNew(_ data: Data) -> Bool {
        reportedUnreadable = false
        guard data != lastContent else { return false }
        lastContent = data
        return true
    }

    func noteUnreadable() -> Bool {
        defer { reportedUnreadable = true }
        return !reportedUnreadable
    }

    /// SIGHUP reloads even an unchanged file (after a fix elsewhere, say a DNS change).
    func forget() { lastContent = nil }
}
