import Foundation
import PingmeshTestSupport
import Testing
import Yams

/// The Helm chart as `helm install` renders it, with its default values and each ci/ value file:
/// `helm lint --strict`, the core objects against the Kubernetes schemas (kubernetes-validate,
/// strict), every `--flag` accepted by the binary, least privilege, the PrometheusRule equal to
/// the promtool-tested rules, and bad values refused with the value named. Skipped (failed under
/// CI) without helm.
@Suite("Helm chart", .requires(.tool(.helm)))
struct HelmChartTests {
    static let chart = DeploymentManifestTests.root.appendingPathComponent("deploy/helm/pingmesh")

    /// nil stands for the default values; then each ci/*.yaml.
    static func valueFiles() throws -> [URL?] {
        let files: [URL?] = try DeploymentManifestTests.files(chart.appendingPathComponent("ci"), ".yaml").map { $0 }
        return [nil] + files
    }

    static func name(_ values: URL?) -> String { values?.lastPathComponent ?? "default values" }

    static func helm() throws -> String { try Tool.helm.path() }

    /// `helm template` as release "pingmesh" in namespace "pingmesh", the names deploy/kubernetes uses.
    static func render(_ helm: String, _ values: URL?, set: [String] = []) async throws -> CommandResult {
        var arguments = ["template", "pingmesh", chart.path, "--namespace", "pingmesh"]
        if let values { arguments += ["--values", values.path] }
        for pair in set { arguments += ["--set", pair] }
        return try await Command.run(helm, arguments)
    }

    /// The rendered objects; a failed rendering is an issue of the calling test.
    static func documents(_ helm: String, _ values: URL?) async throws -> [[String: Any]] {
        let result = try await render(helm, values)
        #expect(result.status == 0, "helm template with \(name(values)): \(result.stderr)")
        return try DeploymentManifestTests.documents(yaml: result.stdout)
    }

    static func objects(_ documents: [[String: Any]], kind: String) -> [[String: Any]] {
        documents.filter { $0["kind"] as? String == kind }
    }

    /// The first container of that name in any workload.
    static func container(_ documents: [[String: Any]], _ name: String) -> [String: Any]? {
        for document in documents {
            let containers = DeploymentManifestTests.podSpec(document)?["containers"] as? [[String: Any]] ?? []
            if let found = containers.first(where: { $0["name"] as? String == name }) { return found }
        }
        return nil
    }

    static func args(_ documents: [[String: Any]], _ name: String) -> [String] {
        container(documents, name)?["args"] as? [String] ?? []
    }

    @Test("helm lint --strict passes with the default values and each ci/ value file")
    func lint() async throws {
        let helm = try Self.helm()
        let files = try Self.valueFiles()
        #expect(files.count >= 5)
        for values in files {
            var arguments = ["lint", "--strict", Self.chart.path]
            if let values { arguments += ["--values", values.path] }
            let result = try await Command.run(helm, arguments)
            #expect(result.status == 0, "\(Self.name(values)): \(result.stdout)\(result.stderr)")
        }
    }

    @Test("every rendering's core objects pass the Kubernetes schemas strictly", .requires(.tool(.kubernetesValidate)))
    func schemas() async throws {
        let helm = try Self.helm()
        let validator = try Tool.kubernetesValidate.path()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-helm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var rendered: [String] = []
        for values in try Self.valueFiles() {
            let result = try await Self.render(helm, values)
            #expect(result.status == 0, "\(Self.name(values)): \(result.stderr)")
            // The Prometheus Operator's kinds have no bundled schema; prometheusRule() checks them.
            let core = ("\n" + result.stdout).components(separatedBy: "\n---\n")
                .filter { $0.contains("kind:") && !$0.contains("apiVersion: monitoring.coreos.com/") }
            #expect(core.count >= 8, "\(Self.name(values)) rendered \(core.count) core objects")
            let file = directory.appendingPathComponent("rendered-\(rendered.count).yaml")
            try core.joined(separator: "\n---\n").write(to: file, atomically: true, encoding: .utf8)
            rendered.append(file.path)
        }
        let result = try await Command.run(validator, ["--strict", "--no-warn"] + rendered)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains("ERROR"))
    }

    @Test("every flag the rendered containers pass is one the binary takes", .requires(.pingmeshBinary))
    func flagsExist() async throws {
        let helm = try Self.helm()
        let binary = try PingmeshBinary.require()
        var uses: [(command: String, flag: String, file: String)] = []
        for values in try Self.valueFiles() {
            let documents = try await Self.documents(helm, values)
            uses += DeploymentManifestTests.flagUses(documents).map { ($0.command, $0.flag, Self.name(values)) }
        }
        #expect(uses.count > 60)
        let unknown = try await DeploymentManifestTests.unknownFlags(uses, binary: binary)
        #expect(unknown.isEmpty, "\(unknown.joined(separator: "\n"))")
    }

    @Test("no container has a capability by default; raw ICMP adds NET_RAW alone; the controller may only read nodes and pods")
    func leastPrivilege() async throws {
        let helm = try Self.helm()
        let defaults = try await Self.documents(helm, nil)
        let agents = try #require(Self.objects(defaults, kind: "DaemonSet").first)
        let agentPod = try #require(DeploymentManifestTests.podSpec(agents))
        #expect(agentPod["hostNetwork"] as? Bool == true)
        #expect(agentPod["automountServiceAccountToken"] as? Bool == false)
        var containers: [[String: Any]] = []
        for document in defaults {
            let pod = DeploymentManifestTests.podSpec(document)
            containers += (pod?["containers"] as? [[String: Any]] ?? []) + (pod?["initContainers"] as? [[String: Any]] ?? [])
        }
        #expect(containers.count >= 4)
        for container in containers {
            let name = container["name"] as? String ?? "?"
            let security = container["securityContext"] as? [String: Any] ?? [:]
            let capabilities = security["capabilities"] as? [String: Any]
            #expect(security["privileged"] == nil && security["allowPrivilegeEscalation"] as? Bool == false, "\(name)")
            #expect(capabilities?["drop"] as? [String] == ["ALL"], "\(name)")
            #expect(capabilities?["add"] == nil, "\(name) adds capabilities")
        }

        let raw = try await Self.documents(helm, Self.chart.appendingPathComponent("ci/icmp-raw-values.yaml"))
        let rawAgent = try #require(Self.container(raw, "agent"))
        let rawCapabilities = (rawAgent["securityContext"] as? [String: Any])?["capabilities"] as? [String: Any]
        #expect(rawCapabilities?["add"] as? [String] == ["NET_RAW"])
        #expect(rawCapabilities?["drop"] as? [String] == ["ALL"])

        #expect(Self.objects(defaults, kind: "ClusterRole").count == 1)
        for values in try Self.valueFiles() {
            let documents = try await Self.documents(helm, values)
            for role in Self.objects(documents, kind: "ClusterRole") + Self.objects(documents, kind: "Role") {
                for rule in role["rules"] as? [[String: Any]] ?? [] {
                    #expect(rule["apiGroups"] as? [String] == [""], "\(Self.name(values))")
                    #expect(Set(rule["verbs"] as? [String] ?? ["?"]).isSubset(of: ["get", "list", "watch"]), "\(Self.name(values))")
                    #expect(Set(rule["resources"] as? [String] ?? ["?"]).isSubset(of: ["nodes", "pods"]), "\(Self.name(values))")
                }
            }
            for binding in Self.objects(documents, kind: "ClusterRoleBinding") + Self.objects(documents, kind: "RoleBinding") {
                let subjects = binding["subjects"] as? [[String: Any]] ?? []
                #expect(subjects.count == 1 && subjects[0]["name"] as? String == "pingmesh-controller", "\(Self.name(values))")
            }
        }
    }

    @Test("mutual TLS gives the servers their certificate and client CA, and the agents the CA and a client certificate")
    func mutualTLS() async throws {
        let helm = try Self.helm()
        let plain = try await Self.documents(helm, nil)
        for name in ["controller", "collector", "agent"] {
            let tlsFlags = Self.args(plain, name).filter { $0.hasPrefix("--tls-") || $0 == "--ca-file" || $0.hasPrefix("--client-") }
            #expect(tlsFlags.isEmpty, "\(name) has \(tlsFlags) without tls.enabled")
        }
        let mutual = try await Self.documents(helm, Self.chart.appendingPathComponent("ci/mtls-values.yaml"))
        for name in ["controller", "collector"] {
            #expect(Set(["--tls-cert", "--tls-key", "--tls-client-ca"]).isSubset(of: Set(Self.args(mutual, name))), "\(name)")
        }
        let agent = Self.args(mutual, "agent")
        #expect(Set(["--ca-file", "--client-cert", "--client-key"]).isSubset(of: Set(agent)))
        #expect(agent.contains("https://pingmesh-controller.pingmesh.svc:9310"))
        #expect(agent.contains("https://pingmesh-collector.pingmesh.svc:9320"))
        // The collector's traceroutes reach the HTTPS controller with the CA and its certificate.
        let collector = Self.args(mutual, "collector")
        #expect(Set(["--controller", "--ca-file", "--client-cert", "--client-key"]).isSubset(of: Set(collector)), "\(collector)")
        #expect(collector.contains("https://pingmesh-controller.pingmesh.svc:9310"), "\(collector)")
    }

    @Test("the PrometheusRule holds exactly the promtool-tested rules; monitoring.enabled=false renders no operator kinds")
    func prometheusRule() async throws {
        let helm = try Self.helm()
        let documents = try await Self.documents(helm, nil)
        let rule = try #require(Self.objects(documents, kind: "PrometheusRule").first)
        let groups = try #require((rule["spec"] as? [String: Any])?["groups"])
        let file = try #require(
            try Yams.load(yaml: String(contentsOf: DeploymentManifestTests.root.appendingPathComponent("deploy/prometheus/pingmesh-rules.yaml"), encoding: .utf8))
                as? [String: Any])
        let expected = try #require(file["groups"])
        #expect(
            try DeploymentManifestTests.canonical(groups) == DeploymentManifestTests.canonical(expected),
            "cp deploy/prometheus/pingmesh-rules.yaml deploy/helm/pingmesh/files/")
        #expect(Set(documents.compactMap { $0["kind"] as? String }).isSuperset(of: ["ServiceMonitor", "PodMonitor", "PrometheusRule"]))

        let off = try await Self.documents(helm, Self.chart.appendingPathComponent("ci/monitoring-off-values.yaml"))
        let operatorObjects = off.filter { ($0["apiVersion"] as? String ?? "").hasPrefix("monitoring.coreos.com/") }
        #expect(!off.isEmpty && operatorObjects.isEmpty)
    }

    @Test("the defaults keep deploy/kubernetes' benchmarked resources, 2 controllers with a disruption budget, and the project's version")
    func defaults() async throws {
        let chartFile = try #require(
            try Yams.load(yaml: String(contentsOf: Self.chart.appendingPathComponent("Chart.yaml"), encoding: .utf8)) as? [String: Any])
        let appVersion = try #require(chartFile["appVersion"] as? String)
        let versionSource = try String(
            contentsOf: DeploymentManifestTests.root.appendingPathComponent("Sources/pingmesh/PingmeshVersion.swift"), encoding: .utf8)
        #expect(versionSource.contains("\"\(appVersion)\""), "Chart.yaml appVersion \(appVersion) is not PingmeshVersion.current")

        let helm = try Self.helm()
        let rendered = try await Self.documents(helm, nil)
        var plain: [[String: Any]] = []
        for file in try DeploymentManifestTests.files(DeploymentManifestTests.kubernetes, ".yaml") {
            plain += try DeploymentManifestTests.documents(file)
        }
        for name in ["controller", "collector", "agent"] {
            let expected = try #require(Self.container(plain, name)?["resources"])
            let actual = try #require(Self.container(rendered, name)?["resources"])
            #expect(try DeploymentManifestTests.canonical(actual) == DeploymentManifestTests.canonical(expected), "\(name)")
        }
        let deployments = Self.objects(rendered, kind: "Deployment")
        let controller = try #require(deployments.first(where: { ($0["metadata"] as? [String: Any])?["name"] as? String == "pingmesh-controller" }))
        #expect(((controller["spec"] as? [String: Any])?["replicas"] as? Int ?? 0) >= 2)
        let budgets = Self.objects(rendered, kind: "PodDisruptionBudget").compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String }
        #expect(budgets.contains("pingmesh-controller"))
        #expect(Self.objects(rendered, kind: "Namespace").isEmpty)
    }

    @Test("bad values fail helm template with a message naming the value to change")
    func badValues() async throws {
        let helm = try Self.helm()
        let cases: [(values: [String], message: String)] = [
            (["collector.store.type=mysql"], "collector.store.type"),
            (["controller.replicas=0"], "controller.replicas"),
            (["collector.store.type=sqlite", "collector.replicas=2"], "collector.replicas=1"),
            (["tls.enabled=true"], "tls.secretName"),
        ]
        for bad in cases {
            let result = try await Self.render(helm, nil, set: bad.values)
            #expect(result.status != 0, "\(bad.values) rendered")
            #expect(result.stderr.contains(bad.message), "\(bad.values): \(result.stderr)")
        }
    }
}
