import Foundation
import PingmeshTestSupport
import Testing
import Yams

/// The deployment files as a user applies them: the Kubernetes manifests against the Kubernetes
/// schemas (kubernetes-validate, strict: unknown fields fail), every `--flag` they and the systemd
/// units pass to `pingmesh` accepted by the binary, the PrometheusRule equal to the alerting rules
/// promtool tests, the units through `systemd-analyze verify`.
@Suite("Deployment files")
struct DeploymentManifestTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let kubernetes = root.appendingPathComponent("deploy/kubernetes")
    static let systemd = root.appendingPathComponent("deploy/systemd")

    static func files(_ directory: URL, _ suffix: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.lastPathComponent.hasSuffix(suffix) }.sorted { $0.path < $1.path }
    }

    static func documents(_ file: URL) throws -> [[String: Any]] {
        try documents(yaml: String(contentsOf: file, encoding: .utf8))
    }

    /// The mappings of a multi-document YAML text (a manifest file, `helm template`'s output).
    static func documents(yaml: String) throws -> [[String: Any]] {
        try Yams.load_all(yaml: yaml).compactMap { $0 as? [String: Any] }
    }

    /// The pod spec of a workload (Deployment, DaemonSet), nil for other kinds.
    static func podSpec(_ document: [String: Any]) -> [String: Any]? {
        ((document["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any]
    }

    /// Every `--flag` the workloads' containers pass, with the subcommand (the first argument).
    static func flagUses(_ documents: [[String: Any]]) -> [(command: String, flag: String)] {
        var uses: [(command: String, flag: String)] = []
        for document in documents {
            for container in podSpec(document)?["containers"] as? [[String: Any]] ?? [] {
                let args = container["args"] as? [String] ?? []
                guard let command = args.first else { continue }
                uses += args.filter { $0.hasPrefix("--") }.map { (command, $0) }
            }
        }
        return uses
    }

    /// The uses whose flag `pingmesh COMMAND --help` does not list, each as a message.
    static func unknownFlags(_ uses: [(command: String, flag: String, file: String)], binary: String) async throws -> [String] {
        var help: [String: String] = [:]
        var unknown: [String] = []
        for use in uses {
            if help[use.command] == nil { help[use.command] = try await Command.run(binary, [use.command, "--help"]).stdout }
            if help[use.command]?.contains(use.flag) != true { unknown.append("\(use.file): pingmesh \(use.command) has no \(use.flag)") }
        }
        return unknown
    }

    /// JSON with sorted keys, to compare parsed YAML values.
    static func canonical(_ value: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
    }

    @Test("the core manifests pass the Kubernetes schemas strictly", .requires(.tool(.kubernetesValidate)))
    func schemas() async throws {
        let validator = try Tool.kubernetesValidate.path()
        // The Prometheus Operator's kinds have no bundled schema; they are checked below.
        let core = try Self.files(Self.kubernetes, ".yaml").filter { !$0.lastPathComponent.contains("monitoring") }
        #expect(core.count >= 5)
        let result = try await Command.run(validator, ["--strict", "--no-warn"] + core.map(\.path))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains("ERROR"))
    }

    @Test("every flag the manifests and units pass is one the binary takes", .requires(.pingmeshBinary))
    func flagsExist() async throws {
        let binary = try PingmeshBinary.require()
        var uses: [(command: String, flag: String, file: String)] = []
        for file in try Self.files(Self.kubernetes, ".yaml") {
            uses += Self.flagUses(try Self.documents(file)).map { ($0.command, $0.flag, file.lastPathComponent) }
        }
        for file in try Self.files(Self.systemd, ".service") {
            let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "\\\n", with: " ")
            for line in text.split(separator: "\n") where line.hasPrefix("ExecStart=") {
                let words = line.split(separator: " ").map(String.init)
                guard words.count > 1 else { continue }
                uses += words.dropFirst(2).filter { $0.hasPrefix("--") }.map { (words[1], $0, file.lastPathComponent) }
            }
        }
        #expect(uses.count > 20)
        let unknown = try await Self.unknownFlags(uses, binary: binary)
        #expect(unknown.isEmpty, "\(unknown.joined(separator: "\n"))")
    }

    @Test("the agent runs on the host network with no capabilities and no API token; the controller may only read nodes and pods")
    func leastPrivilege() throws {
        let agent = try #require(try Self.documents(Self.kubernetes.appendingPathComponent("40-agent.yaml")).first)
        let pod = try #require(((agent["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
        #expect(pod["hostNetwork"] as? Bool == true)
        #expect(pod["automountServiceAccountToken"] as? Bool == false)
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        let security = try #require(container["securityContext"] as? [String: Any])
        #expect(security["privileged"] == nil && security["allowPrivilegeEscalation"] as? Bool == false)
        #expect((security["capabilities"] as? [String: Any])?["drop"] as? [String] == ["ALL"])
        #expect((security["capabilities"] as? [String: Any])?["add"] == nil)
        let role = try #require(try Self.documents(Self.kubernetes.appendingPathComponent("10-rbac.yaml")).first { $0["kind"] as? String == "ClusterRole" })
        let rules = try #require(role["rules"] as? [[String: Any]])
        #expect(rules.count == 1 && Set(rules[0]["verbs"] as? [String] ?? []) == ["get", "list", "watch"])
        #expect(Set(rules[0]["resources"] as? [String] ?? []) == ["nodes", "pods"])
    }

    @Test("the PrometheusRule holds exactly the alerting rules that promtool tests")
    func prometheusRule() throws {
        let monitoring = try Self.documents(Self.kubernetes.appendingPathComponent("50-monitoring.yaml"))
        let rule = try #require(monitoring.first { $0["kind"] as? String == "PrometheusRule" })
        let groups = try #require((rule["spec"] as? [String: Any])?["groups"])
        let file = try #require(
            try Yams.load(yaml: String(contentsOf: Self.root.appendingPathComponent("deploy/prometheus/pingmesh-rules.yaml"), encoding: .utf8))
                as? [String: Any])
        #expect(try Self.canonical(groups) == Self.canonical(try #require(file["groups"])))
        #expect(Set(monitoring.compactMap { $0["kind"] as? String }) == ["ServiceMonitor", "PodMonitor", "PrometheusRule"])
    }

    @Test("the systemd units pass systemd-analyze verify and are sandboxed", .requires(.tool(.systemdAnalyze), .pingmeshBinary))
    func systemdUnits() async throws {
        let units = try Self.files(Self.systemd, ".service")
        #expect(units.count == 3)
        for unit in units {
            let text = try String(contentsOf: unit, encoding: .utf8)
            for setting in ["DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "CapabilityBoundingSet="] {
                #expect(text.contains(setting), "\(unit.lastPathComponent) lacks \(setting)")
            }
        }
        let (analyze, binary) = (try Tool.systemdAnalyze.path(), try PingmeshBinary.require())
        // verify wants the ExecStart binary to exist: point the copies at the built one.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-units-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for unit in units {
            let text = try String(contentsOf: unit, encoding: .utf8).replacingOccurrences(of: "/usr/local/bin/pingmesh", with: binary)
            let copy = directory.appendingPathComponent(unit.lastPathComponent)
            try text.write(to: copy, atomically: true, encoding: .utf8)
            let result = try await Command.run(analyze, ["verify", copy.path])
            let complaints = (result.stdout + result.stderr).split(separator: "\n").filter { $0.contains(unit.lastPathComponent) }
            #expect(result.status == 0 && complaints.isEmpty, "\(unit.lastPathComponent): \(result.stdout)\(result.stderr)")
        }
    }
}
