import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import PingmeshAgent
import PingmeshModel
import PingmeshProbe

/// `pingmesh probe KIND TARGET`: a one-shot manual probe, as an operator runs ping.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Probe one target by hand and print each result and a summary.",
        discussion: "Exits 0 when at least one probe was answered, 1 when none was, 2 on bad arguments."
    )

    @Argument(
        help:
            "Probe kind: tcp, udp (UDP echo, answered by a Pingmesh agent's UDP responder, port 9302), http (GET /ping of an agent's HTTP listener, port 9300, or any http(s):// URL with the HTTP options below, timed by phase), icmp (echo; a ping socket or a raw socket), dns (a query to a DNS server, port 53; see the DNS flags) or ntp (an SNTP request to a time server, port 123; prints the clock offset)."
    )
    var kind: String

    @Argument(help: "Target as HOST:PORT or [IPv6]:PORT; for icmp, HOST alone; for dns and ntp, the port is optional; for http also a URL, http(s)://HOST[:PORT]/PATH.")
    var target: String

    @Option(name: .shortAndLong, help: "Number of probes (1...1000).")
    var count: Int = 1

    @Option(help: "Time between probes (at least 1s; this is an operator's probe, not the mesh).")
    var interval: String = "1s"

    @Option(help: "How long to wait for an answer.")
    var timeout: String = "2s"

    @Option(help: "RTT above which an answer is 'slow'.")
    var delay: String = "10ms"

    @Option(help: "Bytes to send and have echoed (0...65536); 0 times the handshake alone.")
    var payload: Int = 0

    @Option(help: "Source address to probe from.")
    var source: String?

    @Option(help: "DSCP codepoint (0-63) to mark tcp and udp probes with, e.g. 46 (EF), to probe one QoS class.")
    var dscp: Int?

    @Flag(help: "Print one JSON document instead of lines.")
    var json = false

    @OptionGroup(title: "HTTP (http probes only)")
    var http: HTTPProbeFlags
    @OptionGroup(title: "DNS")
    var dnsFlags: DNSProbeFlags

    func run() async throws {
        let plan: Plan
        do {
            plan = try makePlan()
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        let resolved = await TargetResolver(supportedKinds: Self.kinds).resolve(plan.pinglist)
        if let unresolved = resolved.unresolved.first, let outcome = unresolved.unresolvedOutcome {
            // Nothing to send: one result, as the agent records each round for such a name.
            if !json { print(ProbeReport.line(sequence: 1, target: unresolved, outcome: outcome)) }
            let report = ProbeReport(target: unresolved, outcomes: [outcome])
            print(json ? try report.json() : report.summary)
            throw ExitCode.failure
        }
        guard let scheduled = resolved.targets.first else {
            let reason = resolved.skipped.first?.reason ?? "no target"
            FileHandle.standardError.write(Data("target: \(reason)\n".utf8))
            throw ExitCode(2)
        }
        let prober: any Prober
        do {
            prober = try ManualProbe.prober(for: scheduled.target.kind)
        } catch {
            FileHandle.standardError.write(Data("\(scheduled.target.kind.rawValue): \(error)\n".utf8))
            throw ExitCode(2)
        }
        // Which socket answers matters to an operator setting up permissions.
        if let icmp = prober as? ICMPProber, !json { print("icmp sockets: \(icmp.modes.joined(separator: ", "))") }
        let sourceAddress = try plan.pinglist.settings.sourceAddress.map { try SocketAddress(ipAddress: $0, port: 0) }
        var outcomes: [ProbeOutcome] = []
        for sequence in 1...count {
            if sequence > 1 { try await Task.sleep(for: plan.pinglist.settings.interval) }
            let request = scheduled.request(sourceAddress: sourceAddress, dscp: dscp)
            let outcome = await prober.probe(request)
            outcomes.append(outcome)
            if !json { print(ProbeReport.line(sequence: sequence, target: scheduled, outcome: outcome)) }
        }
        let report = ProbeReport(target: scheduled, outcomes: outcomes)
        print(json ? try report.json() : report.summary)
        if report.answered == 0 { throw ExitCode.failure }
    }

    /// The kinds an agent probes, no more and no less.
    static let kinds = Agent.probeKinds

    private struct Plan {
        var pinglist: Pinglist
    }

    /// The arguments, checked with the same rules as a pinglist (except the 10 s interval, which
    /// governs the mesh, not an operator's one-off probe).
    private func makePlan() throws -> Plan {
        guard (1...1000).contains(count) else { throw ValidationError("--count: \(count) is outside 1...1000") }
        if let dscp, !(0...63).contains(dscp) { throw ValidationError("--dscp: \(dscp) is outside 0...63") }
        guard let gap = ConfigDuration(parsing: interval), gap.duration >= .seconds(1) else {
            throw ValidationError("--interval: '\(interval)' is not a duration of at least 1s")
        }
        do {
            var pinglist = try ManualProbe.pinglist(
                kind: kind, target: target, timeout: try duration(timeout, "--timeout").duration, delay: try duration(delay, "--delay").duration,
                payloadBytes: payload, sourceAddress: source, http: try http.options(kind: kind), dns: try dnsFlags.options(kind: kind))
            pinglist.settings.interval = gap.duration
            return Plan(pinglist: pinglist)
        } catch let error as ConfigError {
            // The one-target pinglist's field paths mean nothing on a command line; its flags do.
            let messages = error.issues.map { issue in
                HTTPProbeFlags.flag(for: issue.path).map { "\($0): \(issue.reason)" } ?? issue.description
            }
            throw ValidationError(messages.joined(separator: "\n"))
        } catch let error as ManualProbeError {
            // On the command line the fields are the arguments KIND and TARGET.
            var message = error.description
            for (field, argument) in [("kind:", "KIND:"), ("target:", "TARGET:")] where message.hasPrefix(field) {
                message = argument + message.dropFirst(field.count)
            }
            throw ValidationError(message)
        }
    }

    private func duration(_ text: String, _ field: String) throws -> ConfigDuration {
        guard let value = ConfigDuration(parsing: text) else { throw ValidationError("\(field): '\(text)' is not a duration") }
        return value
    }
}
