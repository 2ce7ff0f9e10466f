import ArgumentParser
import Foundation
import PingmeshModel

/// `pingmesh check-config FILE`: validate a file and say exactly what is wrong.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a pinglist file (native or pingmesh-agent format, YAML or JSON).",
        discussion: "Prints a summary and exits 0 when the file is valid; prints every problem with its field path and exits 1 otherwise."
    )

    @Argument(help: "The file to check.")
    var file: String

    func run() throws {
        do {
            let (pinglist, format) = try PinglistDecoder.load(path: file)
            let kinds = Dictionary(grouping: pinglist.targets, by: \.kind).map { "\($0.value.count) \($0.key.rawValue)" }.sorted()
            let groups = Set(pinglist.targets.map(\.group)).count
            let settings = pinglist.settings
            print(
                """
                \(file): OK (pinglist, \(format.rawValue) format, version \(pinglist.version))
                  targets: \(pinglist.targets.count) in \(groups) group(s)\(kinds.isEmpty ? "" : " (" + kinds.joined(separator: ", ") + ")")
                  interval \(ConfigDuration(settings.interval)), timeout \(ConfigDuration(settings.timeout)), \
                delay \(ConfigDuration(settings.delay)), concurrency \(settings.concurrency), \
                payload \(settings.payloadBytes) B, ip_protocol \(settings.ipProtocol.rawValue)
                """
            )
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
