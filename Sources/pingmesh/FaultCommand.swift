import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PingmeshModel

/// `pingmesh fault`: make `pingmesh up`'s simulated servers misbehave, through its collector's
/// `/v1/faults` (the web UI uses the same API).
struct FaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fault",
        abstract: "Inject, list and clear faults in pingmesh up's simulated data center.",
        subcommands: [Inject.self, Clear.self, List.self]
    )

    struct Inject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inject a fault.",
            discussion: """
                KIND and TARGET: server-down SERVER (sim-003); tor-down TOR (dc1-tor2); black-hole TOR [--share 0.5]; \
                port-black-hole TOR [--port 20001] (one source port, one ECMP path, of half its IP pairs); \
                drops TARGET [--rate 0.2] and latency TARGET [--latency-ms 10], where TARGET is a server, a ToR, a podset \
                (dc1-podset1: its leaves), a data center (dc1: its spines) or a link (dc1-dc2).
                """)

        @Argument(help: "server-down, tor-down, black-hole, port-black-hole, drops or latency.")
        var kind: String

        @Argument(help: "The component: a server, ToR, podset, data center or link, by name.")
        var target: String

        @Option(help: "Drop probability for drops (0-1).")
        var rate: Double?

        @Option(help: "Share of IP pairs black-holed (0-1).")
        var share: Double?

        @Option(help: "Added round-trip time in milliseconds, for latency.")
        var latencyMs: Double?

        @Option(help: "The source port black-holed, for port-black-hole (one of the ports probes rotate over).")
        var port: Int?

        @Flag(help: "Print the collector's JSON answer instead of a line.")
        var json = false

        @OptionGroup var connection: CollectorConnection

        func run() async throws {
            let request = SimulatedFaultRequest(kind: kind, target: target, rate: rate, share: share, latencyMs: latencyMs, port: port)
            try await FaultCommand.report {
                let answer = try connection.check(try await connection.send(.POST, "/v1/faults", body: try JSONEncoder().encode(request)))
                guard !json else { return answer }
                return "injected \(try JSONDecoder().decode(SimulatedFault.self, from: Data(answer.utf8)).line)"
            }
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Clear one fault by id, or every fault.")

        @Argument(help: "The fault's id (from `pingmesh fault list`); none clears all.")
        var id: String?

        @OptionGroup var connection: CollectorConnection

        func run() async throws {
            try await FaultCommand.report {
                _ = try connection.check(try await connection.send(.DELETE, id.map { "/v1/faults/\($0)" } ?? "/v1/faults"))
                return id.map { "cleared \($0)" } ?? "cleared every fault"
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the active faults and what may be targeted.")

        @Flag(help: "Print the collector's JSON answer instead of a table.")
        var json = false

        @OptionGroup var connection: CollectorConnection

        func run() async throws {
            try await FaultCommand.report {
                let answer = try connection.check(try await connection.send(.GET, "/v1/faults"))
                guard !json else { return answer }
                let listing = try JSONDecoder().decode(FaultListing.self, from: Data(answer.utf8))
                guard listing.enabled else { return "this collector takes no faults: only pingmesh up's simulated servers do" }
                let active = listing.faults.isEmpty ? ["no active faults"] : ["\(listing.faults.count) active:"] + listing.faults.map { "  \($0.line)" }
                return (active + ["kinds: \(listing.kinds.joined(separator: ", "))", "targets:"] + listing.targets.lines.map { "  \($0)" })
                    .joined(separator: "\n")
            }
        }

        /// `GET /v1/faults`.
        struct FaultListing: Decodable {
            var enabled: Bool
            var faults: [SimulatedFault]
            var kinds: [String]
            var targets: SimulatedFaultTargets
        }
    }

    /// Prints what `body` returns, or the error on standard error with exit status 1.
    static func report(_ body: () async throws -> String) async throws {
        do {
            print(try await body())
        } catch {
            FileHandle.standardError.write(Data("pingmesh fault: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
