import ArgumentParser
import Foundation
import NIOHTTP1
import PingmeshModel

/// `pingmesh task`: run a probe from chosen agents now, through the controller's task API.
struct TaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Run on-demand probes from agents chosen by label, and read the results.",
        subcommands: [Run.self, Show.self, List.self]
    )

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a task and wait for every chosen agent's result.",
            discussion: """
                ACTION: probe KIND TARGET, KIND one of tcp, udp, http, icmp; TARGET HOST:PORT (HOST for icmp); \
                or traceroute tcp|udp ADDRESS:PORT (one path per --source-ports port; --max-hops). \
                Example: pingmesh task run --select 'dc=dc1,tor=~t1.*' probe tcp 10.0.0.5:9301 --count 5
                """)

        @Option(help: "Agents by label: name, region, dc, podset, pod, tor or any label, with =, !=, =~ and !~, comma-separated.")
        var select: String

        @Argument(help: "probe KIND TARGET, or traceroute tcp|udp ADDRESS:PORT")
        var action: [String]

        @Option(help: "Probes per agent (1-10).")
        var count: Int?

        @Option(help: "Payload bytes per probe.")
        var size: Int?

        @Option(help: "Source ports to rotate over, FIRST-LAST or a comma-separated list (each a different ECMP path).")
        var sourcePorts: String?

        @Option(help: "Most hops a traceroute goes (1-64).")
        var maxHops: Int = TracerouteRequest.defaultMaxHops

        @Option(help: "Seconds the task may still start on an agent.")
        var expires: Int = TaskSpec.defaultExpiry

        @Option(help: "Seconds to wait for the results (0: print the task id and return).")
        var wait: Int = 60

        @Flag(help: "Print the task as JSON.")
        var json = false

        @OptionGroup(title: "DNS (probe dns only)")
        var dnsFlags: DNSProbeFlags

        @OptionGroup var connection: ControllerConnection

        func run() async throws {
            try await TaskCommand.failing {
                let spec = TaskSpec(selector: select, action: try makeAction(), expiresInSeconds: expires)
                let api = connection.api
                let body = try api.check(try await api.send(.POST, "/v1/tasks", body: try JSONEncoder().encode(spec)))
                var status = try JSONDecoder().decode(TaskStatus.self, from: Data(body.utf8))
                guard wait > 0 else {
                    Swift.print(status.id)
                    return
                }
                let deadline = ContinuousClock.now + .seconds(wait)
                while !status.progress.finished, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(250))
                    status = try await TaskCommand.fetch(status.id, api: api)
                }
                try TaskCommand.show(status, json: json)
            }
        }

        /// Comma-separated parts, each read as a pinglist's `source_ports` is (FIRST-LAST or one port).
        func ports() throws -> [Int]? {
            try sourcePorts.map { text -> [Int] in
                try text.split(separator: ",").flatMap { part -> [Int] in
                    switch PinglistFile.sourcePorts(parsing: String(part)) {
                    case .success(let ports): return ports
                    case .failure(let reason): throw CommandError("--source-ports: \(reason)")
                    }
                }
            }
        }

        func makeAction() throws -> TaskAction {
            guard let verb = action.first else { throw CommandError("action: missing (probe KIND TARGET)") }
            switch verb {
            case "probe":
                guard action.count == 3 else { throw CommandError("action: probe takes KIND and TARGET, e.g. probe tcp 10.0.0.5:9301") }
                return .probe(
                    ManualProbeRequest(
                        kind: action[1], target: action[2], count: count, size: size, sourcePorts: try ports(),
                        dns: try dnsFlags.options(kind: action[1])))
            case "traceroute":
                guard action.count == 3, let transport = TracerouteRequest.TransportProtocol(rawValue: action[1]),
                    let (host, port) = HostPort.split(action[2]), let port
                else {
                    throw CommandError("action: traceroute takes tcp|udp and ADDRESS:PORT, e.g. traceroute tcp 10.0.0.5:9301")
                }
                return .traceroute(
                    TracerouteRequest(protocol: transport, target: host, port: port, sourcePorts: try ports() ?? [], maxHops: maxHops))
            default:
                throw CommandError("action: '\(verb)' is not an action (probe, traceroute)")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One task: each agent's state and result.")

        @Argument(help: "The task id.")
        var id: String

        @Flag(help: "Print the task as JSON.")
        var json = false

        @OptionGroup var connection: ControllerConnection

        func run() async throws {
            try await TaskCommand.failing { try TaskCommand.show(try await TaskCommand.fetch(id, api: connection.api), json: json) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The tasks the controller keeps, newest first, with their progress.")

        @OptionGroup var connection: ControllerConnection

        func run() async throws {
            try await TaskCommand.failing { Swift.print(try connection.api.check(try await connection.api.send(.GET, "/v1/tasks"))) }
        }
    }

    static func fetch(_ id: String, api: APIConnection) async throws -> TaskStatus {
        let body = try api.check(try await api.send(.GET, "/v1/tasks/\(id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id)"))
        return try JSONDecoder().decode(TaskStatus.self, from: Data(body.utf8))
    }

    /// Prints the task; exits 1 when an agent failed, expired or has not answered.
    static func show(_ status: TaskStatus, json: Bool) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            Swift.print(String(decoding: try encoder.encode(status), as: UTF8.self))
        } else {
            Swift.print(TaskReport.text(status))
        }
        let progress = status.progress
        guard progress.done == progress.agents else {
            throw CommandError(
                "\(progress.done) of \(progress.agents) agents done (\(progress.failed) failed, \(progress.expired) expired, \(progress.pending + progress.running) without a result yet)")
        }
    }

    static func failing(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as CommandError {
            FileHandle.standardError.write(Data("pingmesh task: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
