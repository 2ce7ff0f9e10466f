import ArgumentParser
import Foundation
import PingmeshModel

/// `pingmesh check-config FILE`: validate a file and say exactly what is wrong.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a topology, pinglist (native or pingmesh-agent format) or blackbox_exporter module file; YAML or JSON.",
        discussion: "Prints a summary and exits 0 when the file is valid; prints every problem with its field path and exits 1 otherwise."
    )

    /// What a file is; guessed from its top-level keys unless `--kind` says.
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case topology, pinglist, blackbox
    }

    @Argument(help: "The file to check.")
    var file: String

    @Option(help: "What the file is: topology, pinglist or blackbox (default: guessed from its top-level keys).")
    var kind: Kind?

    func run() throws {
        var assumed: Kind?
        do {
            let data = try ConfigDocument.read(path: file)
            let keys = try ConfigDocument.topLevelKeys(data, file: file)
            let kind = self.kind ?? (keys == ["modules"] ? .blackbox : keys.contains("datacenters") ? .topology : .pinglist)
            if self.kind == nil { assumed = kind }
            if kind == .blackbox {
                print(try blackboxReport(ConfigDocument.decode(BlackboxConfigFile.self, from: data, file: file)))
                return
            }
            if kind == .topology {
                let topology = try ConfigDocument.decode(TopologyFile.self, from: data, file: file).validated(file: file)
                print(
                    "\(file): OK (topology)\n"
                        + PlanReport(ProbePlanner.plan(topology)).text.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
                return
            }
            let (pinglist, format) = try PinglistDecoder.decode(data, file: file)
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
            // A guess can be wrong: after the problems (which start with the file's path), say
            // which kind the file was checked as, and how to say otherwise.
            let guess = assumed.map { "(checked as a \($0.rawValue), guessed from its top-level keys; --kind \(Kind.allCases.map(\.rawValue).joined(separator: "|")) says otherwise)\n" } ?? ""
            FileHandle.standardError.write(Data("\(error)\n\(guess)".utf8))
            throw ExitCode.failure
        }
    }

    /// A blackbox_exporter module file (`--blackbox-config`): each module, what it runs as, or
    /// why it is refused, and the fields it ignores.
    private func blackboxReport(_ config: BlackboxConfigFile) -> String {
        var lines = ["\(file): OK (blackbox_exporter modules, \(config.modules.count))"]
        for (name, module) in config.modules.sorted(by: { $0.key < $1.key }) {
            var line = "  \(name): " + (module.settings.map { "\($0.kind.rawValue) probe" } ?? "refused, \(module.refusal ?? "")")
            if !module.ignored.isEmpty { line += " (ignored: \(module.ignored.joined(separator: ", ")))" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
