import Foundation

/// What an agent says about itself with every task poll: enough for an operator to see, from the
/// controller alone, which agents run which build, whether they probe, and whether their results
/// get out.
public struct AgentHeartbeat: Sendable, Hashable, Codable {
    public var version: String?
    /// The build: compiler and platform the binary was built with.
    public var build: String?
    public var uptimeSeconds: Int64
    public var pinglistVersion: String?
    /// False when the kill switch (failed pulls, empty list) stopped probing.
    public var probing: Bool
    public var targets: Int
    /// Probes since start, and how many of them failed.
    public var probesSent: UInt64
    public var probesFailed: UInt64
    /// Upload health, nil when the agent does not upload: batches waiting in the spool, seconds
    /// since the last accepted upload (nil before the first) and batches dropped at the cap.
    public var uploadPendingBatches: Int?
    public var secondsSinceUpload: Int64?
    public var uploadDroppedBatches: UInt64?

    public init(
        version: String?, build: String?, uptimeSeconds: Int64, pinglistVersion: String?, probing: Bool, targets: Int, probesSent: UInt64,
        probesFailed: UInt64, uploadPendingBatches: Int? = nil, secondsSinceUpload: Int64? = nil, uploadDroppedBatches: UInt64? = nil
    ) {
        self.version = version
        self.build = build
        self.uptimeSeconds = uptimeSeconds
        self.pinglistVersion = pinglistVersion
        self.probing = probing
        self.targets = targets
        self.probesSent = probesSent
        self.probesFailed = probesFailed
        self.uploadPendingBatches = uploadPendingBatches
        self.secondsSinceUpload = secondsSinceUpload
        self.uploadDroppedBatches = uploadDroppedBatches
    }

    enum CodingKeys: String, CodingKey {
        case version, build, probing, targets
        case uptimeSeconds = "uptime_seconds"
        case pinglistVersion = "pinglist_version"
        case probesSent = "probes_sent"
        case probesFailed = "probes_failed"
        case uploadPendingBatches = "upload_pending_batches"
        case secondsSinceUpload = "seconds_since_upload"
        case uploadDroppedBatches = "upload_dropped_batches"
    }

    /// The header that carries it on task polls: base64 of the JSON, so any version string stays
    /// a valid header value.
    public static let header = "X-Pingmesh-Heartbeat"

    /// Most header bytes accepted; a heartbeat is about 300.
    public static let maximumHeaderBytes = 4096

    public var headerValue: String {
        (try? JSONEncoder().encode(self)).map { $0.base64EncodedString() } ?? ""
    }

    /// Parses a header value; nil for anything malformed (a heartbeat is informative: a bad one
    /// is dropped, never an error for the poll that carries it).
    public init?(headerValue: String) {
        guard headerValue.utf8.count <= Self.maximumHeaderBytes, let data = Data(base64Encoded: headerValue),
            let decoded = try? JSONDecoder().decode(Self.self, from: data)
        else { return nil }
        self = decoded
    }
}
