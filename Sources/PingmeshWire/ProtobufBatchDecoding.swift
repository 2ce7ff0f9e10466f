import Foundation
import PingmeshModel
import SwiftProtobuf

/// A protobuf body that is not a batch this collector can read, naming the field by the path
/// the JSON body would give it (`windows[3].counts.jitter_pairs`).
public struct WireDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }
}

extension ResultBatch {
    /// Reads a `pingmesh.results.v1.ResultBatch` message. What the JSON decoder refuses is
    /// refused here too (wrong version, unknown kinds and classes, bad sketches, counts that
    /// contradict each other); `validationIssues` then applies to both alike.
    public init(protobuf bytes: some Collection<UInt8>) throws(WireDecodingError) {
        let message: Pingmesh_Results_V1_ResultBatch
        do {
            message = try Pingmesh_Results_V1_ResultBatch(serializedBytes: Array(bytes))
        } catch {
            throw WireDecodingError(path: "", reason: "not a pingmesh.results.v1.ResultBatch message (\(error))")
        }
        guard message.version == UInt32(Self.formatVersion) else {
            throw WireDecodingError(
                path: "version",
                reason: message.version == 0
                    ? "is missing (this collector reads \(Self.formatVersion))"
                    : "format version \(message.version) is not supported (this collector reads \(Self.formatVersion))")
        }
        let labelSets = message.labelSets.map(\.labels)
        var windows: [WindowSummary] = []
        windows.reserveCapacity(message.windows.count)
        for (index, summary) in message.windows.enumerated() {
            windows.append(try WindowSummary(summary, labelSets: labelSets, path: "windows[\(index)]"))
        }
        var failures: [FailureRecord] = []
        failures.reserveCapacity(message.failures.count)
        for (index, record) in message.failures.enumerated() {
            failures.append(try FailureRecord(record, path: "failures[\(index)]"))
        }
        self.init(
            id: message.id, agent: message.agent, agentVersion: message.hasAgentVersion ? message.agentVersion : nil,
            pinglistVersion: message.hasPinglistVersion ? message.pinglistVersion : nil, labels: message.labels,
            createdAt: message.createdAt, windows: windows, failures: failures)
    }
}

extension WindowSummary {
    init(_ summary: Pingmesh_Results_V1_WindowSummary, labelSets: [[String: String]], path: String) throws(WireDecodingError) {
        guard let kind = ProbeKind(rawValue: summary.kind) else {
            throw WireDecodingError(path: "\(path).kind", reason: Self.notOneOf(summary.kind, ProbeKind.allCases.map(\.rawValue)))
        }
        let labels: [String: String]
        switch Int(summary.labelSet) {
        case 0: labels = summary.labels
        case let set where set <= labelSets.count && summary.labels.isEmpty: labels = labelSets[set - 1]
        case let set where set <= labelSets.count:
            throw WireDecodingError(path: "\(path).label_set", reason: "is \(set) but the window has labels of its own too: give one or the other")
        case let set:
            throw WireDecodingError(path: "\(path).label_set", reason: "is \(set) but the batch has \(labelSets.count) label_sets")
        }
        let counts = summary.counts.model
        if let (field, reason) = counts.inconsistency {
            throw WireDecodingError(path: "\(path).counts.\(field)", reason: reason)
        }
        let rtt: LatencySketch
        do {
            rtt = try LatencySketch(encoded: summary.rtt)
        } catch {
            throw WireDecodingError(path: "\(path).rtt", reason: "the RTT sketch \(error)")
        }
        self.init(
            start: summary.start, seconds: Int(summary.seconds), target: summary.target, name: summary.name, kind: kind, labels: labels,
            counts: counts, rtt: rtt, minRTTNanoseconds: summary.hasMinRttNs ? summary.minRttNs : nil,
            maxRTTNanoseconds: summary.hasMaxRttNs ? summary.maxRttNs : nil,
            ports: summary.ports.map { PortCounts(port: Int($0.port), sent: $0.sent, failed: $0.failed) })
    }

    static func notOneOf(_ value: String, _ allowed: [String]) -> String {
        "'\(value)' is not one of \(allowed.joined(separator: ", "))"
    }
}

extension FailureRecord {
    init(_ record: Pingmesh_Results_V1_FailureRecord, path: String) throws(WireDecodingError) {
        guard let kind = ProbeKind(rawValue: record.kind) else {
            throw WireDecodingError(path: "\(path).kind", reason: WindowSummary.notOneOf(record.kind, ProbeKind.allCases.map(\.rawValue)))
        }
        guard let result = ProbeResultClass(rawValue: record.result) else {
            throw WireDecodingError(
                path: "\(path).result", reason: WindowSummary.notOneOf(record.result, ProbeResultClass.allCases.map(\.rawValue)))
        }
        self.init(
            at: record.at, target: record.target, name: record.name, kind: kind, result: result,
            rttNanoseconds: record.hasRttNs ? record.rttNs : nil, sourcePort: record.hasSourcePort ? Int(record.sourcePort) : nil,
            detail: record.hasDetail ? record.detail : nil)
    }
}
