import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PingmeshModel
import PingmeshTestSupport
import Synchronization
import Testing

@testable import PingmeshController

/// Discovery against a local HTTP server that speaks the Kubernetes API's JSON: a NodeList, then
/// a watch stream that adds and modifies nodes and then expires (410), then a relist.
@Suite("Kubernetes discovery")
struct KubernetesDiscoveryTests {
    static func node(_ name: String, ip: String, zone: String = "zone-a", tor: String? = nil, rv: String = "1") -> String {
        var labels = [#""topology.kubernetes.io/zone": "\#(zone)""#, #""topology.kubernetes.io/region": "eu""#, #""kubernetes.io/hostname": "\#(name)""#]
        if let tor { labels.append(#""topology.pingmesh.io/tor": "\#(tor)""#) }
        return """
            {"kind": "Node", "apiVersion": "v1", "metadata": {"name": "\(name)", "uid": "u-\(name)", "resourceVersion": "\(rv)",
             "labels": {\(labels.joined(separator: ", "))}},
             "spec": {"podCIDR": "10.244.0.0/24"},
             "status": {"addresses": [{"type": "InternalIP", "address": "\(ip)"}, {"type": "Hostname", "address": "\(name)"}],
                        "conditions": [{"type": "Ready", "status": "True"}]}}
            """
    }

    static func list(_ nodes: [String], rv: String) -> String {
        #"{"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": "\#(rv)"}, "items": [\#(nodes.joined(separator: ","))]}"#
    }

    static func event(_ type: String, _ object: String) -> String {
        #"{"type": "\#(type)", "object": \#(object.replacingOccurrences(of: "\n", with: " "))}"# + "\n"
    }

    /// Counts requests and answers like the API server would.
    final class FakeAPI: Sendable {
        let lists = Mutex(0)
        let watches = Mutex<[String]>([])
        /// Open quiet watches; finished at the end of a test so the server can shut down. Once
        /// finished, a watch that still arrives (discovery racing its cancellation) ends at once,
        /// or the server's graceful shutdown would wait for it forever.
        let quiet = Mutex<(finished: Bool, streams: [AsyncStream<ByteBuffer>.Continuation])>((false, []))

        func finishWatches() {
            quiet.withLock { state in
                state.finished = true
                state.streams.forEach { $0.finish() }
                state.streams.removeAll()
            }
        }

        func router() -> Router<BasicRequestContext> {
            let router = Router()
            router.get("/api/v1/nodes") { request, _ -> Response in
                #expect(request.headers[.authorization] == "Bearer test-token")
                let query = request.uri.queryParameters
                guard query.get("watch") == "1" else {
                    let count = self.lists.withLock { $0 += 1; return $0 }
                    let body =
                        count == 1
                        ? KubernetesDiscoveryTests.list([node("node-a", ip: "10.1.0.1"), node("node-b", ip: "10.1.0.2")], rv: "100")
                        : KubernetesDiscoveryTests.list(
                            [
                                node("node-a", ip: "10.1.0.1", tor: "rack-1"), node("node-b", ip: "10.1.0.2"), node("node-c", ip: "10.1.0.3"),
                                node("node-d", ip: "10.1.1.4", zone: "zone-b"),
                            ], rv: "200")
                    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
                }
                let version = query.get("resourceVersion") ?? ""
                self.watches.withLock { $0.append(version) }
                if version == "100" {
                    let stream =
                        event("ADDED", node("node-c", ip: "10.1.0.3", rv: "101"))
                        + event("MODIFIED", node("node-a", ip: "10.1.0.1", tor: "rack-1", rv: "102"))
                        + event("ERROR", #"{"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "too old resource version: 100 (150)", "reason": "Expired", "code": 410}"#)
                    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: stream)))
                }
                // A quiet watch: bookmarks only, until the client goes away.
                let (bookmarks, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
                continuation.yield(ByteBuffer(string: event("BOOKMARK", #"{"kind": "Node", "apiVersion": "v1", "metadata": {"name": "", "resourceVersion": "201"}}"#)))
                self.quiet.withLock { state in
                    if state.finished { continuation.finish() } else { state.streams.append(continuation) }
                }
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(asyncSequence: bookmarks))
            }
            return router
        }
    }

    @Test("list, watch (ADDED, MODIFIED), 410 Gone, relist: the controller's plan follows the cluster")
    func listWatchRelist() async throws {
        let api = FakeAPI()
        let app = Application(router: api.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let state = ControllerState(configuration: .init(registrationEnabled: false), metrics: ControllerMetrics(), logger: Logger(label: "test"))
            let discovery = KubernetesDiscovery(
                configuration: .init(apiURL: "http://127.0.0.1:\(port)", token: "test-token", watchSeconds: 60))
            let running = Task { try await discovery.run(state: state) }
            defer {
                running.cancel()
                api.finishWatches()
            }

            // A bound for a loaded machine (CI runs the labs beside this); it ends as soon as both
            // watches have run.
            let deadline = ContinuousClock.now + .seconds(45)
            var names: [String] = []
            while ContinuousClock.now < deadline {
                state.rebuild()
                names = state.snapshot.map { $0.plan.topology.servers.map(\.name).sorted() } ?? []
                // The second watch starts just after the relist is applied; wait for both.
                if names.count == 4 && api.watches.withLock({ $0.count }) >= 2 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(names == ["node-a", "node-b", "node-c", "node-d"])
            #expect(api.lists.withLock { $0 } == 2, "the expired watch led to a second list")
            #expect(api.watches.withLock { $0 }.prefix(2) == ["100", "200"], "each watch starts at its list's resourceVersion")
            let topology = try #require(state.snapshot?.plan.topology)
            let nodeA = try #require(topology.serverIndex["node-a"])
            #expect(topology.topologyLabels(of: nodeA) == ["dc": "zone-a", "region": "eu", "podset": "zone-a", "pod": "rack-1", "tor": "rack-1"])
            let nodeD = try #require(topology.serverIndex["node-d"])
            #expect(topology.topologyLabels(of: nodeD)["dc"] == "zone-b")
            #expect(topology.servers[nodeD].ipv4 == "10.1.1.4")
            // Stop discovery and end the open watch, so the server's graceful shutdown has no
            // response left to wait for.
            running.cancel()
            api.finishWatches()
            _ = await running.result
        }
    }

    @Test("a kubeconfig context reaches the API with its token file and namespace")
    func kubeconfigContext() async throws {
        let api = FakeAPI()
        let app = Application(router: api.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kube-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try "test-token\n".write(to: directory.appendingPathComponent("token"), atomically: true, encoding: .utf8)
            let kubeconfig = directory.appendingPathComponent("config").path
            try """
                current-context: lab
                clusters: [{name: c, cluster: {server: "http://127.0.0.1:\(port)"}}]
                contexts: [{name: lab, context: {cluster: c, user: u, namespace: pingmesh}}]
                users: [{name: u, user: {tokenFile: token}}]
                """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
            var configuration = KubernetesDiscovery.Configuration.kubeconfig(try KubernetesAccess.load(kubeconfig: kubeconfig))
            configuration.watchSeconds = 60
            #expect(configuration.namespace == "pingmesh")
            let state = ControllerState(configuration: .init(registrationEnabled: false), metrics: ControllerMetrics(), logger: Logger(label: "test"))
            let running = Task { try await KubernetesDiscovery(configuration: configuration).run(state: state) }
            // A bound for a loaded machine (CI runs the labs beside this); it ends as soon as both
            // watches have run.
            let deadline = ContinuousClock.now + .seconds(45)
            var names: [String] = []
            while ContinuousClock.now < deadline, names.count < 2 {
                state.rebuild()
                names = state.snapshot.map { $0.plan.topology.servers.map(\.name).sorted() } ?? []
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(names.starts(with: ["node-a", "node-b"]))
            running.cancel()
            api.finishWatches()
            _ = await running.result
        }
    }

    @Test("TLS material from a kubeconfig: real PEM is accepted, anything else is refused", .requires(.tool(.openssl)))
    func kubeconfigTLS() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kube-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let key = directory.appendingPathComponent("key.pem").path
        let certificate = directory.appendingPathComponent("cert.pem").path
        let made = try await Command.run(
            try Tool.openssl.path(),
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
             "-subj", "/CN=pingmesh-test", "-keyout", key, "-out", certificate])
        try #require(made.status == 0, "openssl: \(made.stderr)")
        let pem = try #require(FileManager.default.contents(atPath: certificate))
        let keyPEM = try #require(FileManager.default.contents(atPath: key))
        var configuration = KubernetesDiscovery.Configuration(apiURL: "https://127.0.0.1:6443")
        configuration.caPEM = Array(pem)
        configuration.clientCertificatePEM = Array(pem)
        configuration.clientKeyPEM = Array(keyPEM)
        let tls = try KubernetesDiscovery.tlsConfiguration(configuration)
        #expect(tls.certificateChain.count == 1)
        configuration.caPEM = Array("not a certificate".utf8)
        #expect(throws: (any Error).self) { try KubernetesDiscovery.tlsConfiguration(configuration) }
    }

    @Test("agent pods: only nodes running one take part, at the pod's address")
    func agentPods() throws {
        let nodes = [
            Kubernetes.Node(name: "n1", labels: [KubernetesPlacement.zoneLabel: "z"], addresses: [.init(type: "InternalIP", address: "10.0.0.1")]),
            Kubernetes.Node(name: "n2", labels: [KubernetesPlacement.zoneLabel: "z"], addresses: [.init(type: "InternalIP", address: "10.0.0.2")]),
        ]
        let pod = try JSONDecoder().decode(
            Kubernetes.Pod.self,
            from: Data(#"{"metadata": {"name": "agent-x"}, "spec": {"nodeName": "n1"}, "status": {"phase": "Running", "podIP": "10.244.1.7", "podIPs": [{"ip": "10.244.1.7"}, {"ip": "fd00::7"}]}}"#.utf8))
        let topology = try KubernetesPlacement().topology(nodes: nodes, agentPods: [pod]).validated(file: "k8s")
        #expect(topology.servers.map(\.name) == ["n1"])
        #expect(topology.servers[0].ipv4 == "10.244.1.7" && topology.servers[0].ipv6 == "fd00::7")
        let everyNode = try KubernetesPlacement().topology(nodes: nodes, agentPods: nil).validated(file: "k8s")
        #expect(everyNode.servers.map(\.ipv4) == ["10.0.0.1", "10.0.0.2"])
    }
}
