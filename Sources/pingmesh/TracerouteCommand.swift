import ArgumentParser
import Foundation
import NIOCore
import PingmeshModel
import PingmeshProbe

/// `pingmesh traceroute TARGET`: the hops of one ECMP path per source port, TCP SYN or UDP, with
/// the hop where the path goes dark.
struct TracerouteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traceroute",
        abstract: "Trace the path to a target with TCP SYNs or UDP datagrams from fixed source ports (one ECMP path each).",
        discussion: """
            Each --source-port is a separate run with the whole 5-tuple fixed, so it follows the path the mesh's probes \
            from that port take. Needs no privileges on Linux (ICMP errors are read from the socket error queue). \
            Exits 0 when every path reached the target, 1 when one did not, 2 on bad arguments.
            """
    )

    @Flag(help: "Probe with TCP SYNs (the default).")
    var tcp = false

    @Flag(help: "Probe with UDP datagrams.")
    var udp = false

    @Option(help: "Destination port (default: \(DefaultPorts.agentTCP), the agent's TCP responder, for tcp; 33434 for udp).")
    var port: Int?

    @Option(name: .customLong("source-port"), help: "Source port of one run; repeat for several paths. Default: one run from a port the kernel picks.")
    var sourcePorts: [Int] = []

    @Option(name: .customLong("source-address"), help: "Local address to leave from.")
    var sourceAddress: String?

    @Option(name: .customLong("max-hops"), help: "Highest TTL to probe (1...\(TracerouteRequest.maximumHops)).")
    var maxHops: Int = TracerouteRequest.defaultMaxHops

    @Option(help: "Probes per hop (1...\(TracerouteRequest.maximumProbesPerHop)).")
    var probes: Int = TracerouteRequest.defaultProbesPerHop

    @Option(name: .customLong("timeout-ms"), help: "How long each probe waits for an answer, in milliseconds.")
    var timeoutMilliseconds: Int = TracerouteRequest.defaultTimeoutMilliseconds

    @Flag(help: "Print the result as one JSON document instead of tables.")
    var json = false

    @Argument(help: "Target: an IPv4 or IPv6 address, or a host name (its first address is traced).")
    var target: String

    /// Classic traceroute's first UDP port: nothing listens there, so the target answers with
    /// port unreachable (the agent's UDP responder would silently drop a stranger's datagram).
    static let defaultUDPPort = 33_434

    func run() async throws {
        let request: TracerouteRequest
        do {
            request = try makeRequest()
            try request.validate()
        } catch let error as TracerouteRequestError {
            FileHandle.standardError.write(Data("\(Self.option(for: error.field)): \(error.reason)\n".utf8))
            throw ExitCode(2)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        let result: TracerouteResult
        do {
            result = try await Traceroute.run(request)
        } catch {
            FileHandle.standardError.write(Data("traceroute: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(TracerouteTable.render(result, name: target))
        }
        if !result.paths.allSatisfy(\.reachedDestination) { throw ExitCode.failure }
    }

    private func makeRequest() throws -> TracerouteRequest {
        guard !(tcp && udp) else { throw ValidationError("--tcp and --udp: choose one") }
        let transport: TracerouteRequest.TransportProtocol = udp ? .udp : .tcp
        return TracerouteRequest(
            protocol: transport, target: try Self.address(of: target), port: port ?? (transport == .tcp ? DefaultPorts.agentTCP : Self.defaultUDPPort),
            sourcePorts: sourcePorts, sourceAddress: sourceAddress, maxHops: maxHops, probesPerHop: probes,
            timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The request's JSON fields as this command's arguments, for messages.
    static func option(for field: String) -> String {
        let options = [
            "target": "TARGET", "port": "--port", "source_ports": "--source-port", "source_address": "--source-address",
            "max_hops": "--max-hops", "probes_per_hop": "--probes", "timeout_ms": "--timeout-ms",
        ]
        return options[field] ?? field
    }

    /// A literal as given; a name through the system resolver (the request takes addresses).
    static func address(of host: String) throws -> String {
        if IPAddressFamily.of(literal: host) != nil { return host }
        do {
            return try SocketAddress.makeAddressResolvingHost(host, port: 0).ipAddress ?? host
        } catch {
            throw ValidationError("TARGET: cannot resolve '\(host)': \(error)")
        }
    }
}

