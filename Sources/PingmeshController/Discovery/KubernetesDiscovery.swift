import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import PingmeshModel

/// Kubernetes as a discovery source: nodes (and, with an agent selector, the agent pods on them)
/// from the API server, listed then watched from the list's resourceVersion, listed again when a
/// watch expires (410 Gone) or ends. Topology comes from node labels (see `KubernetesPlacement`).
public struct KubernetesDiscovery: Sendable {
    public struct Configuration: Sendable {
        /// The API server, e.g. https://10.96.0.1:443, or http://127.0.0.1:8001 behind `kubectl proxy`.
        public var apiURL: String
        public var token: String?
        /// CA bundle that signed the API server's certificate (in-cluster: the service account's).
        public var caFile: String?
        /// From a kubeconfig: PEM bytes of the CA, and of a client certificate and key.
        public var caPEM: [UInt8]?
        public var clientCertificatePEM: [UInt8]?
        public var clientKeyPEM: [UInt8]?
        public var insecureSkipTLSVerify = false
        public var placement: KubernetesPlacement
        /// Label selector of the agent pods (e.g. `app=pingmesh-agent`); nil: every node, at its InternalIP.
        public var agentSelector: String?
        public var namespace: String?
        /// How long one watch request may stay open before it is renewed.
        public var watchSeconds: Int

        public init(
            apiURL: String, token: String? = nil, caFile: String? = nil, placement: KubernetesPlacement = KubernetesPlacement(),
            agentSelector: String? = nil, namespace: String? = nil, watchSeconds: Int = 300
        ) {
            self.apiURL = apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL
            self.token = token
            self.caFile = caFile
            self.placement = placement
            self.agentSelector = agentSelector
            self.namespace = namespace
            self.watchSeconds = watchSeconds
        }

        /// The configuration a kubeconfig context gives; the context's namespace applies to the
        /// agent pods unless `namespace` is given.
        public static func kubeconfig(
            _ access: KubernetesAccess, placement: KubernetesPlacement = KubernetesPlacement(), agentSelector: String? = nil,
            namespace: String? = nil
        ) -> Configuration {
            var configuration = Configuration(
                apiURL: access.server, token: access.token, placement: placement, agentSelector: agentSelector,
                namespace: namespace ?? access.namespace)
            configuration.caPEM = access.certificateAuthority
            configuration.clientCertificatePEM = access.clientCertificate
            configuration.clientKeyPEM = access.clientKey
            configuration.insecureSkipTLSVerify = access.insecureSkipTLSVerify
            return configuration
        }

        /// The in-cluster configuration: the API server from the environment Kubernetes sets in
        /// every pod, the service account's token and CA.
        public static func inCluster(
            placement: KubernetesPlacement = KubernetesPlacement(), agentSelector: String? = nil, namespace: String? = nil
        ) throws(ConfigError) -> Configuration {
            let environment = ProcessInfo.processInfo.environment
            let accountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"
            guard let host = environment["KUBERNETES_SERVICE_HOST"], let port = environment["KUBERNETES_SERVICE_PORT"] else {
                throw ConfigError(
                    file: "environment",
                    issues: [.init(path: "KUBERNETES_SERVICE_HOST", reason: "not set: not running in a pod (use --kubernetes-api URL)")])
            }
            let token: String
            do {
                token = try String(contentsOfFile: "\(accountDirectory)/token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw ConfigError(file: "\(accountDirectory)/token", issues: [.init(path: "", reason: "cannot read the service account token")])
            }
            return Configuration(
                apiURL: "https://\(HostPort.join(host, Int(port) ?? 443))", token: token, caFile: "\(accountDirectory)/ca.crt",
                placement: placement, agentSelector: agentSelector, namespace: namespace)
        }
    }

    public let configuration: Configuration
    private let logger: Logger

    /// TLS as the configuration asks: the CA from a file or bytes, an optional client
    /// certificate, or (only when a kubeconfig says insecure-skip-tls-verify) no verification.
    public static func tlsConfiguration(_ configuration: Configuration) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = configuration.caFile { tls.trustRoots = .file(caFile) }
        if let caPEM = configuration.caPEM {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(caPEM))
        }
        if let certificate = configuration.clientCertificatePEM, let key = configuration.clientKeyPEM {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(certificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
        }
        if configuration.insecureSkipTLSVerify { tls.certificateVerification = .none }
        return tls
    }

    public init(configuration: Configuration, logger: Logger = Logger(label: "pingmesh.controller.kubernetes")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Feeds `state` with what the cluster holds, until cancelled.
    public func run(state: ControllerState) async throws {
        let tls = try Self.tlsConfiguration(configuration)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        do {
            try await followAll(state: state, client: client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private func followAll(state: ControllerState, client: HTTPClient) async throws {
        let configuration = self.configuration
        let view = ClusterView()
        let publish: @Sendable () async -> Void = {
            let (nodes, pods) = await view.snapshot()
            state.setKubernetes(configuration.placement.topology(nodes: nodes, agentPods: configuration.agentSelector == nil ? nil : pods))
        }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                try await follow(Kubernetes.Node.self, path: "/api/v1/nodes", selector: nil, client: client) { nodes, replace in
                    await view.update(nodes: nodes, replace: replace)
                    await publish()
                }
            }
            if let selector = configuration.agentSelector {
                let path = configuration.namespace.map { "/api/v1/namespaces/\($0)/pods" } ?? "/api/v1/pods"
                group.addTask {
                    try await follow(Kubernetes.Pod.self, path: path, selector: selector, client: client) { pods, replace in
                        await view.update(pods: pods, replace: replace)
                        await publish()
                    }
                }
            }
        }
    }

    /// Lists, then watches from the list's version; lists again when the watch expires or fails.
    /// `apply` gets the full list (replace: true) or one event's objects (DELETED as nil).
    func follow<Object: Codable & Sendable & Hashable & KubernetesNamed>(
        _ type: Object.Type, path: String, selector: String?, client: HTTPClient,
        apply: @escaping @Sendable ([String: Object?], Bool) async -> Void
    ) async throws {
        while !Task.isCancelled {
            do {
                let list: Kubernetes.List<Object> = try await get(path, query: selector.map { ["labelSelector": $0] } ?? [:], client: client)
                await apply(Dictionary(list.items.map { ($0.name, Optional($0)) }, uniquingKeysWith: { _, last in last }), true)
                var version = list.metadata?.resourceVersion ?? ""
                logger.info("kubernetes list", metadata: ["path": "\(path)", "items": "\(list.items.count)", "resourceVersion": "\(version)"])
                watching: while !Task.isCancelled {
                    var query = ["watch": "1", "resourceVersion": version, "allowWatchBookmarks": "true", "timeoutSeconds": String(configuration.watchSeconds)]
                    if let selector { query["labelSelector"] = selector }
                    let outcome = try await watch(path, query: query, client: client) { (event: Kubernetes.WatchEvent<Object>) in
                        if let object = event.object, let rv = object.resourceVersion { version = rv }
                        switch event.type {
                        case "ADDED", "MODIFIED":
                            if let object = event.object { await apply([object.name: object], false) }
                        case "DELETED":
                            if let object = event.object { await apply([object.name: nil], false) }
                        default:
                            break
                        }
                    }
                    switch outcome {
                    case .ended:
                        continue watching  // the server closed the watch (timeoutSeconds): renew it
                    case .expired:
                        logger.info("kubernetes watch expired (410); listing again", metadata: ["path": "\(path)"])
                        break watching
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("kubernetes discovery failed; retrying", metadata: ["path": "\(path)", "error": "\(error)"])
                try await Task.sleep(for: .seconds(2))
            }
        }
    }

    enum WatchOutcome { case ended, expired }

    private func request(_ path: String, query: [String: String]) -> HTTPClientRequest {
        var components = URLComponents(string: configuration.apiURL + path)!
        if !query.isEmpty { components.queryItems = query.keys.sorted().map { URLQueryItem(name: $0, value: query[$0]) } }
        var request = HTTPClientRequest(url: components.url!.absoluteString)
        request.headers.add(name: "Accept", value: "application/json")
        if let token = configuration.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return request
    }

    private func get<Value: Decodable>(_ path: String, query: [String: String], client: HTTPClient) async throws -> Value {
        let response = try await client.execute(request(path, query: query), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 256 * 1024 * 1024)
        guard response.status == .ok else {
            throw KubernetesError(message: "GET \(path): \(response.status.code) \(String(buffer: body).prefix(200))")
        }
        return try JSONDecoder().decode(Value.self, from: Data(buffer: body))
    }

    private func watch<Object: Codable & Sendable>(
        _ path: String, query: [String: String], client: HTTPClient, handle: (Kubernetes.WatchEvent<Object>) async -> Void
    ) async throws -> WatchOutcome {
        let response = try await client.execute(request(path, query: query), timeout: .seconds(Int64(configuration.watchSeconds + 30)))
        if response.status == .gone { return .expired }
        guard response.status == .ok else { throw KubernetesError(message: "watch \(path): \(response.status.code)") }
        var pending = Data()
        let decoder = JSONDecoder()
        for try await chunk in response.body {
            pending.append(contentsOf: chunk.readableBytesView)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[pending.index(after: newline)...])
                guard !line.isEmpty else { continue }
                let event = try decoder.decode(Kubernetes.WatchEvent<Object>.self, from: line)
                if event.type == "ERROR" {
                    if event.status?.code == 410 { return .expired }
                    throw KubernetesError(message: "watch \(path): \(event.status?.message ?? "error event")")
                }
                await handle(event)
            }
        }
        return .ended
    }
}

struct KubernetesError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Objects known by name with a resource version.
protocol KubernetesNamed {
    var name: String { get }
    var resourceVersion: String? { get }
}

extension Kubernetes.Node: KubernetesNamed {
    var name: String { metadata.name }
    var resourceVersion: String? { metadata.resourceVersion }
}

extension Kubernetes.Pod: KubernetesNamed {
    var name: String { metadata.name }
    var resourceVersion: String? { metadata.resourceVersion }
}

/// The nodes and pods seen so far.
actor ClusterView {
    private var nodes: [String: Kubernetes.Node] = [:]
    private var pods: [String: Kubernetes.Pod] = [:]

    func update(nodes changes: [String: Kubernetes.Node?], replace: Bool) {
        if replace { nodes = [:] }
        for (name, node) in changes { nodes[name] = node }
    }

    func update(pods changes: [String: Kubernetes.Pod?], replace: Bool) {
        if replace { pods = [:] }
        for (name, pod) in changes { pods[name] = pod }
    }

    func snapshot() -> ([Kubernetes.Node], [Kubernetes.Pod]) {
        (Array(nodes.values), Array(pods.values))
    }
}
