import Foundation
import PingmeshAgent
import PingmeshModel
import PingmeshProbe

/// What `pingmesh probe` prints: a line per probe and a summary, or one JSON document.
struct ProbeReport {
    var target: ScheduledTarget
    var outcomes: [ProbeOutcome]

    var answered: Int { outcomes.filter { !$0.result.isFailure }.count }

    static func line(sequence: Int, target: ScheduledTarget, outcome: ProbeOutcome) -> String {
        var text = "\(target.target.kind.rawValue) \(address(target)) seq=\(sequence)"
        if let port = outcome.sourcePort { text += " sport=\(port)" }
        text += " \(outcome.result.rawValue)"
        if let rtt = outcome.rtt { text += " rtt=\(milliseconds(rtt)) ms" }
        if let userSpace = outcome.userSpaceRTT { text += " user_space_rtt=\(milliseconds(userSpace)) ms" }
        if let ttl = outcome.replyTTL { text += " ttl=\(ttl)" }
        if let offset = outcome.clockOffset { text += " offset=\(milliseconds(offset)) ms" }
        if let dwell = outcome.responderDwell { text += " dwell=\(milliseconds(dwell)) ms" }
        if let retransmits = outcome.synRetransmits, retransmits > 0 { text += " syn_retransmits=\(retransmits)" }
        if let connect = outcome.connectRTT, target.target.payloadBytes > 0, outcome.httpPhases == nil { text += " connect=\(milliseconds(connect)) ms" }
        if let phases = outcome.httpPhases {
            if let status = phases.status { text += " status=\(status)" }
            for (name, phase) in phases.named {
                if let phase { text += " \(name)=\(milliseconds(phase)) ms" }
            }
            text += " bytes=\(phases.bodyBytes)"
            if let notAfter = phases.certificateNotAfter { text += " cert_expiry=\(timestamp(notAfter))" }
        }
        if let detail = outcome.detail { text += " (\(detail))" }
        return text
    }

    var summary: String {
        let rtts = outcomes.compactMap { $0.result.isFailure ? nil : $0.rtt }
        let lost = outcomes.count - answered
        let place = target.target.kind == .icmp ? target.target.host : "\(target.target.host) port \(target.target.port)"
        var text = "--- \(place): \(outcomes.count) probes, \(answered) answered, "
        text += "\(lost) failed (\(Int((Double(lost) / Double(max(outcomes.count, 1)) * 100).rounded()))% loss)"
        if let rtt = RTTSummary(rtts) {
            text += "\nrtt min/avg/p50/p99/max = \(Self.milliseconds(rtt.minimum))/\(Self.milliseconds(rtt.mean))/\(Self.milliseconds(rtt.p50))/"
            text += "\(Self.milliseconds(rtt.p99))/\(Self.milliseconds(rtt.maximum)) ms"
            // Jitter as the windows measure it (mean change between successive answers), and the
            // spread smokeping reports beside it.
            if let jitter = rtt.jitter { text += ", jitter \(Self.milliseconds(jitter)) ms" }
            text += ", stddev \(Self.milliseconds(rtt.standardDeviation)) ms"
        }
        text += Self.offsetSummary(outcomes)
        return text + resolveSummary + httpSummary
    }

    /// For a named target: how long its name took to resolve, a phase of its own, before and
    /// outside the probes' RTTs.
    private var resolveSummary: String {
        guard let time = target.resolveTime else { return "" }
        return "\nresolve \(Self.milliseconds(time)) ms (\(target.target.host)\(target.unresolvedReason == nil ? "" : ", failed"))"
    }

    /// For HTTP: each phase's median over the answered probes, and the certificate's expiry.
    private var httpSummary: String {
        let answered = outcomes.filter { !$0.result.isFailure }.compactMap(\.httpPhases)
        var text = ""
        let medians = HTTPPhases.phaseNames.compactMap { name -> String? in
            let values = answered.compactMap { phases in phases.named.first { $0.phase == name }?.duration }.sorted()
            return values.isEmpty ? nil : "\(name) \(Self.milliseconds(values[values.count / 2]))"
        }
        if !medians.isEmpty { text += "\nphase medians: \(medians.joined(separator: ", ")) ms" }
        if let notAfter = outcomes.compactMap({ $0.httpPhases?.certificateNotAfter }).last {
            let days = notAfter.timeIntervalSinceNow / 86_400
            let when = days >= 0 ? "in \(Int(days)) days" : "\(Int(-days)) days ago"
            text += "\ncertificate expires \(Self.timestamp(notAfter)) (\(when))"
        }
        return text
    }

    func json() throws -> String {
        struct Probe: Encodable {
            var seq: Int
            var result: String
            var rtt_seconds: Double?
            /// UDP and ICMP: the RTT as user space saw it, when `rtt_seconds` ended at the kernel's stamp.
            var user_space_rtt_seconds: Double?
            var connect_rtt_seconds: Double?
            var source_port: Int?
            var clock_offset_seconds: Double?
            var detail: String?
            var http: HTTPDetail?
        }
        struct HTTPDetail: Encodable {
            var status: Int?
            var body_bytes: Int
            var phases_seconds: [String: Double]
            var cert_expiry_timestamp_seconds: Double?
            var failure: String?
        }
        struct Document: Encodable {
            var kind: String
            var target: String
            /// Absent when the name did not resolve.
            var address: String?
            /// How long the host name took to resolve; absent for a literal address.
            var resolve_seconds: Double?
            var sent: Int
            var answered: Int
            var loss_ratio: Double
            var probes: [Probe]
        }
        let document = Document(
            kind: target.target.kind.rawValue, target: HostPort.join(target.target.host, target.target.port),
            address: target.unresolvedReason == nil ? Self.address(target) : nil, resolve_seconds: target.resolveTime?.seconds,
            sent: outcomes.count, answered: answered,
            loss_ratio: Double(outcomes.count - answered) / Double(max(outcomes.count, 1)),
            probes: outcomes.enumerated().map { index, outcome in
                Probe(
                    seq: index + 1, result: outcome.result.rawValue, rtt_seconds: outcome.rtt?.seconds,
                    user_space_rtt_seconds: outcome.userSpaceRTT?.seconds, connect_rtt_seconds: outcome.connectRTT?.seconds, source_port: outcome.sourcePort,
                    clock_offset_seconds: outcome.clockOffset?.seconds, detail: outcome.detail,
                    http: outcome.httpPhases.map { phases in
                        let timed = phases.named.compactMap { name, value in value.map { (name, $0.seconds) } }
                        return HTTPDetail(
                            status: phases.status, body_bytes: phases.bodyBytes, phases_seconds: Dictionary(uniqueKeysWithValues: timed),
                            cert_expiry_timestamp_seconds: phases.certificateNotAfter?.timeIntervalSince1970,
                            failure: phases.failure?.rawValue)
                    }
                )
            }
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }

    /// `10.0.0.1:9301`, or the name with its address when the target was a host name.
    static func address(_ target: ScheduledTarget) -> String {
        if target.unresolvedReason != nil { return "\(target.target.host) (no address)" }
        let ip = target.address.ipAddress ?? "?"
        // ICMP has no port.
        let resolved = target.target.kind == .icmp ? ip : HostPort.join(ip, target.address.port ?? target.target.port)
        return target.target.host == target.address.ipAddress ? resolved : "\(target.target.host) (\(resolved))"
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.3f", duration.seconds * 1000)
    }
}
