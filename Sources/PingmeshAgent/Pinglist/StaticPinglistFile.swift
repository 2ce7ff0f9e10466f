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
        let detector = FileChangeDetector(path: path)
        let (path, logger) = (self.path, self.logger)
        let reload: @Sendable (String) async -> Void = { trigger in
            switch await detector.check(force: trigger == "SIGHUP") {
            case .unchanged:
                return
            case .unreadable(let firstTime, let reason):
                if firstTime {
                    logger.error(
                        "cannot read the pinglist file; keeping the current list", metadata: ["file": "\(path)", "reason": "\(reason)"])
                }
            case .changed(let data):
                do {
                    let (pinglist, format) = try PinglistDecoder.decode(data, file: path)
                    logger.info(
                        "pinglist loaded",
                        metadata: [
                            "file": "\(path)", "version": "\(pinglist.version)", "format": "\(format.rawValue)",
                            "targets": "\(pinglist.targets.count)", "trigger": "\(trigger)",
                        ])
                    await deliver(pinglist)
                } catch {
                    metrics.pinglistRejected()
                    logger.error("new pinglist rejected; keeping the current list", metadata: ["file": "\(path)", "errors": "\(error)"])
                }
            }
        }

        await reload("start")
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
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
