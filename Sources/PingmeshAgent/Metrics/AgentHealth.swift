import Foundation
import PingmeshModel
import Synchronization

/// The figures an agent reports about itself in its heartbeat, kept beside the Prometheus
/// series (which cannot be read back): updated by the same calls, read by the task poller.
public final class AgentHealth: Sendable {
    private let started = ContinuousClock.now
    private let probesSent = Atomic<UInt64>(0)
    private let probesFailed = Atomic<UInt64>(0)
    private let targets = Atomic<Int>(0)
    private let probing = Atomic<Bool>(true)
    private let pinglistVersion = Mutex<String?>(nil)
    private let upload = Mutex(Upload())

    struct Upload {
        var pendingBatches = 0
        var droppedBatches: UInt64 = 0
        var lastSuccess: Date?
    }

    public init() {}

    func probed(failed: Bool) {
        probesSent.add(1, ordering: .relaxed)
        if failed { probesFailed.add(1, ordering: .relaxed) }
    }

    func targets(_ count: Int) { targets.store(count, ordering: .relaxed) }
    func probing(_ enabled: Bool) { probing.store(enabled, ordering: .relaxed) }
    func pinglist(_ version: String) { pinglistVersion.withLock { $0 = version } }
    func uploadSucceeded(at date: Date) { upload.withLock { $0.lastSuccess = date } }
    func uploadPending(_ batches: Int) { upload.withLock { $0.pendingBatches = batches } }
    func uploadDropped(_ batches: Int) { upload.withLock { $0.droppedBatches += UInt64(batches) } }

    /// The heartbeat as of `now`; upload fields only when the agent uploads.
    public func heartbeat(version: String?, uploads: Bool, now: Date = Date()) -> AgentHeartbeat {
        let upload = self.upload.withLock { $0 }
        return AgentHeartbeat(
            version: version, build: Self.build, uptimeSeconds: started.duration(to: .now).components.seconds,
            pinglistVersion: pinglistVersion.withLock { $0 }, probing: probing.load(ordering: .relaxed), targets: targets.load(ordering: .relaxed),
            probesSent: probesSent.load(ordering: .relaxed), probesFailed: probesFailed.load(ordering: .relaxed),
            uploadPendingBatches: uploads ? upload.pendingBatches : nil,
            secondsSinceUpload: uploads ? upload.lastSuccess.map { Int64(now.timeIntervalSince($0)) } : nil,
            uploadDroppedBatches: uploads ? upload.droppedBatches : nil)
    }

    /// The platform and compiler the binary was built for.
    static let build: String = {
        #if os(Linux)
            let os = "linux"
        #else
            let os = "other"
        #endif
        #if arch(x86_64)
            let arch = "x86_64"
        #elseif arch(arm64)
            let arch = "arm64"
        #else
            let arch = "other"
        #endif
        #if DEBUG
            let mode = "debug"
        #else
            let mode = "release"
        #endif
        #if compiler(>=6.3)
            let swift = "swift6.3+"
        #else
            let swift = "swift6"
        #endif
        return "\(os)-\(arch) \(mode) \(swift)"
    }()
}
