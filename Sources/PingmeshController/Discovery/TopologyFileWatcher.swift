import Foundation
import Logging
import PingmeshModel
import UnixSignals

/// The topology file as a discovery source: validated on load, reloaded when its content
/// changes and on SIGHUP; a bad new file is rejected (logged, counted) and the last good one kept.
public struct TopologyFileWatcher: Sendable {
    public var path: String
    public var pollInterval: Duration
    public var logger: Logger

    public init(path: String, pollInterval: Duration = .seconds(2), logger: Logger = Logger(label: "pingmesh.controller")) {
        self.path = path
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// Reads and validates the file once: for start-up, where a bad file is fatal.
    public func load() throws(ConfigError) -> TopologyFile {
        try Self.decode(ConfigDocument.read(path: path), path: path)
    }

    static func decode(_ data: Data, path: String) throws(ConfigError) -> TopologyFile {
        let file = try ConfigDocument.decode(TopologyFile.self, from: data, file: path)
        _ = try file.validated(file: path)
        return file
    }

    /// Feeds `state` until cancelled.
    public func run(state: ControllerState) async throws {
        let detector = FileChangeDetector(path: path)
        let (path, logger) = (self.path, self.logger)
        let reload: @Sendable (String) async -> Void = { trigger in
            switch await detector.check(force: trigger == "SIGHUP") {
            case .unchanged:
                return
            case .unreadable(let firstTime, let reason):
                if firstTime {
                    logger.error(
                        "cannot read the topology file; keeping the current one", metadata: ["file": "\(path)", "reason": "\(reason)"])
                }
            case .changed(let data):
                do {
                    let file = try Self.decode(data, path: path)
                    logger.info("topology loaded", metadata: ["file": "\(path)", "trigger": "\(trigger)"])
                    state.setTopologyFile(file)
                } catch {
                    state.metrics.planRejected()
                    logger.error("new topology rejected; keeping the current one", metadata: ["file": "\(path)", "errors": "\(error)"])
                }
            }
        }
        await reload("start")
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) { await reload("SIGHUP") }
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
