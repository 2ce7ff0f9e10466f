/// A probe an operator asks for by hand (the web UI's probe form, `POST /v1/probe`), run from
/// the collector's host until on-demand tasks run it from chosen agents.
public struct ManualProbeRequest: Sendable, Codable, Hashable {
    public var kind: String
    /// HOST:PORT, or HOST for icmp.
    public var target: String
    public var count: Int?
    /// Payload bytes per probe (TCP and UDP echo, HTTP response size); 0 or nil: none.
    public var size: Int?
    /// Local ports to leave from, one probe after another (each a different 5-tuple, so a
    /// different equal-cost path); nil or empty lets the kernel choose.
    public var sourcePorts: [Int]?
    /// The question of a dns probe (a pinglist group's `dns`, query_name required); only dns
    /// probes take it.
    public var dns: DNSOptionsFile?

    public init(kind: String, target: String, count: Int? = nil, size: Int? = nil, sourcePorts: [Int]? = nil, dns: DNSOptionsFile? = nil) {
        self.kind = kind
        self.target = target
        self.count = count
        self.size = size
        self.sourcePorts = sourcePorts
        self.dns = dns
    }

    enum CodingKeys: String, CodingKey {
        case kind, target, count, size, dns
        case sourcePorts = "source_ports"
    }

    /// Most probes one request may send: it is a look, not a load test.
    public static let maximumCount = 10

    /// Issues with the numeric fields, each naming its field (kind and target are checked where
    /// they are resolved, with a pinglist's rules).
    public func validationIssues() -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        if let count, !(1...Self.maximumCount).contains(count) {
            issues.append(ConfigIssue(path: "count", reason: "\(count) is outside 1...\(Self.maximumCount)"))
        }
        if let size, !(0...SafetyLimits.maximumPayloadBytes).contains(size) {
            issues.append(ConfigIssue(path: "size", reason: "\(size) is outside 0...\(SafetyLimits.maximumPayloadBytes) bytes"))
        }
        if let ports = sourcePorts {
            if ports.count > SafetyLimits.maximumSourcePorts {
                issues.append(ConfigIssue(path: "source_ports", reason: "\(ports.count) ports; at most \(SafetyLimits.maximumSourcePorts)"))
            }
            for (index, port) in ports.enumerated() where !(1...65535).contains(port) {
                issues.append(ConfigIssue(path: "source_ports[\(index)]", reason: "\(port) is not a port (1...65535)"))
            }
        }
        let probeKind = ProbeKind(rawValue: kind)
        if probeKind == nil {
            issues.append(ConfigIssue(path: "kind", reason: "'\(kind)' is not a probe kind (\(ProbeKind.allCases.map(\.rawValue).joined(separator: ", ")))"))
        }
        if probeKind == .dns && (dns?.queryName ?? "").isEmpty {
            issues.append(ConfigIssue(path: "dns.query_name", reason: "a dns probe needs the name to ask for"))
        }
        if let probeKind, probeKind != .dns, dns != nil {
            issues.append(ConfigIssue(path: "dns", reason: "only dns probes take dns options, not \(probeKind.rawValue)"))
        }
        if let (host, port) = HostPort.split(target), !host.isEmpty {
            if port == nil && probeKind?.hasWellKnownPort != true {
                issues.append(ConfigIssue(path: "target", reason: "'\(target)' has no port (HOST:PORT; only icmp, dns and ntp take a bare HOST)"))
            }
        } else {
            issues.append(ConfigIssue(path: "target", reason: "'\(target)' is not HOST:PORT or [IPv6]:PORT"))
        }
        return issues
    }
}

public struct ManualProbeReport: Sendable, Codable, Hashable {
    public struct Probe: Sendable, Codable, Hashable {
        public var seq: Int
        public var result: ProbeResultClass
        public var rttMs: Double?
        public var detail: String?

        public init(seq: Int, result: ProbeResultClass, rttMs: Double?, detail: String?) {
            self.seq = seq
            self.result = result
            self.rttMs = rttMs
            self.detail = detail
        }

        enum CodingKeys: String, CodingKey {
            case seq, result, detail
            case rttMs = "rtt_ms"
        }
    }

    public struct Summary: Sendable, Codable, Hashable {
        public var sent: Int
        public var ok: Int
        public var loss: Double
        public var minMs: Double?
        public var medianMs: Double?
        public var maxMs: Double?

        enum CodingKeys: String, CodingKey {
            case sent, ok, loss
            case minMs = "min_ms"
            case medianMs = "median_ms"
            case maxMs = "max_ms"
        }
    }

    public var kind: String
    public var target: String
    public var results: [Probe]
    public var summary: Summary

    public init(kind: String, target: String, results: [Probe]) {
        self.kind = kind
        self.target = target
        self.results = results
        let rtts = results.filter { !$0.result.isFailure }.compactMap(\.rttMs).sorted()
        let answered = results.filter { !$0.result.isFailure }.count
        summary = Summary(
            sent: results.count, ok: answered, loss: results.isEmpty ? 0 : Double(results.count - answered) / Double(results.count),
            minMs: rtts.first, medianMs: rtts.isEmpty ? nil : rtts[rtts.count / 2], maxMs: rtts.last)
    }
}

/// Runs a manual probe; the error's description names the bad field.
public protocol ManualProbing: Sendable {
    func probe(_ request: ManualProbeRequest) async throws -> ManualProbeReport
}

/// A manual probe that cannot run; the message names the field and why.
public struct ManualProbeError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// Refused for load, not for its content: worth retrying.
    public var busy: Bool

    public init(_ description: String, busy: Bool = false) {
        self.description = description
        self.busy = busy
    }
}
