import Foundation
import PingmeshModel
import SwiftProtobuf

extension ResultBatch {
    /// The batch as a `pingmesh.results.v1.ResultBatch` message. Target label sets are sent once
    /// each and referred to by index.
    public func protobufEncoded() throws -> [UInt8] {
        var message = Pingmesh_Results_V1_ResultBatch()
        message.version = UInt32(Self.formatVersion)
        message.id = id
        message.agent = agent
        if let agentVersion { message.agentVersion = agentVersion }
        if let pinglistVersion { message.pinglistVersion = pinglistVersion }
        message.labels = labels
        message.createdAt = createdAt
        var setIndex: [[String: String]: UInt32] = [:]
        message.windows.reserveCapacity(windows.count)
        for window in windows {
            var summary = Pingmesh_Results_V1_WindowSummary()
            summary.start = window.start
            summary.seconds = UInt32(clamping: window.seconds)
            summary.target = window.target
            summary.name = window.name
            summary.kind = window.kind.rawValue
            if !window.labels.isEmpty {
                if let index = setIndex[window.labels] {
                    summary.labelSet = index
                } else {
                    var set = Pingmesh_Results_V1_LabelSet()
                    set.labels = window.labels
                    message.labelSets.append(set)
                    let index = UInt32(message.labelSets.count)
                    setIndex[window.labels] = index
                    summary.labelSet = index
                }
            }
            summary.counts = Pingmesh_Results_V1_Counts(window.counts)
            summary.rtt = Data(window.rtt.encoded())
            if let low = window.minRTTNanoseconds { summary.minRttNs = low }
            if let high = window.maxRTTNanoseconds { summary.maxRttNs = high }
            summary.ports = window.ports.map { port in
                var counts = Pingmesh_Results_V1_PortCounts()
                counts.port = UInt32(clamping: port.port)
                counts.sent = port.sent
                counts.failed = port.failed
                return counts
            }
            message.windows.append(summary)
        }
        message.failures = failures.map { failure in
            var record = Pingmesh_Results_V1_FailureRecord()
            record.at = failure.at
            record.target = failure.target
            record.name = failure.name
            record.kind = failure.kind.rawValue
            record.result = failure.result.rawValue
            if let rtt = failure.rttNanoseconds { record.rttNs = rtt }
            if let port = failure.sourcePort { record.sourcePort = UInt32(clamping: port) }
            if let detail = failure.detail { record.detail = detail }
            return record
        }
        return try message.serializedBytes()
    }
}

extension Pingmesh_Results_V1_Counts {
    init(_ counts: ResultCounts) {
        self.init()
        ok = counts.ok
        slow = counts.slow
        timeout = counts.timeout
        refused = counts.refused
        unreachable = counts.unreachable
        error = counts.error
        unresolved = counts.unresolved
        retransmitted = counts.retransmitted
        synRetransmits = counts.synRetransmits
        jitterPairs = counts.jitterPairs
        jitterSumNs = counts.jitterNanoseconds
    }

    var model: ResultCounts {
        ResultCounts(
            ok: ok, slow: slow, timeout: timeout, refused: refused, unreachable: unreachable, error: error, unresolved: unresolved,
            retransmitted: retransmitted, synRetransmits: synRetransmits, jitterPairs: jitterPairs, jitterNanoseconds: jitterSumNs)
    }
}
