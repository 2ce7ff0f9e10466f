import Foundation

/// The parts of a kubeconfig file (as `kubectl` reads it) that reach an API server: the chosen
/// context's cluster (server, CA) and user (bearer token or client certificate). Unknown fields
/// are ignored, as kubectl ignores them; credential plugins (`exec`, `auth-provider`) are refused
/// by name, since running a command the file names is not something a controller should do.
public struct KubeConfig: Sendable, Decodable {
    public var currentContext: String?
    public var contexts: [Named<Context>]
    public var clusters: [Named<Cluster>]
    public var users: [Named<User>]

    public struct Named<Value: Sendable & Decodable>: Sendable, Decodable {
        public var name: String
        public var value: Value

        enum CodingKeys: String, CodingKey { case name, context, cluster, user }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            let key = [CodingKeys.context, .cluster, .user].first(where: container.contains) ?? .context
            value = try container.decode(Value.self, forKey: key)
        }
    }

    public struct Context: Sendable, Decodable {
        public var cluster: String
        public var user: String?
        public var namespace: String?
    }

    public struct Cluster: Sendable, Decodable {
        public var server: String
        public var certificateAuthority: String?
        public var certificateAuthorityData: String?
        public var insecureSkipTLSVerify: Bool?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
        }
    }

    public struct User: Sendable, Decodable {
        public var token: String?
        public var tokenFile: String?
        public var clientCertificate: String?
        public var clientCertificateData: String?
        public var clientKey: String?
        public var clientKeyData: String?
        public var hasExec: Bool
        public var hasAuthProvider: Bool
        public var hasPassword: Bool

        enum CodingKeys: String, CodingKey {
            case token, tokenFile, exec, password
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case authProvider = "auth-provider"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            token = try container.decodeIfPresent(String.self, forKey: .token)
            tokenFile = try container.decodeIfPresent(String.self, forKey: .tokenFile)
            clientCertificate = try container.decodeIfPresent(String.self, forKey: .clientCertificate)
            clientCertificateData = try container.decodeIfPresent(String.self, forKey: .clientCertificateData)
            clientKey = try container.decodeIfPresent(String.self, forKey: .clientKey)
            clientKeyData = try container.decodeIfPresent(String.self, forKey: .clientKeyData)
            hasExec = container.contains(.exec)
            hasAuthProvider = container.contains(.authProvider)
            hasPassword = container.contains(.password)
        }
    }

    enum CodingKeys: String, CodingKey {
        case contexts, clusters, users
        case currentContext = "current-context"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        currentContext = try container.decodeIfPresent(String.self, forKey: .currentContext)
        contexts = try container.decodeIfPresent([Named<Context>].self, forKey: .contexts) ?? []
        clusters = try container.decodeIfPresent([Named<Cluster>].self, forKey: .clusters) ?? []
        users = try container.decodeIfPresent([Named<User>].self, forKey: .users) ?? []
    }
}

/// What one kubeconfig context resolves to: everything read, files included, so a bad path is
/// reported at start-up rather than at the first request.
public struct KubernetesAccess: Sendable, Equatable {
    public var server: String
    public var token: String?
    /// PEM bytes of the CA bundle, the client certificate chain and its key.
    public var certificateAuthority: [UInt8]?
    public var clientCertificate: [UInt8]?
    public var clientKey: [UInt8]?
    public var insecureSkipTLSVerify: Bool
    /// The context's namespace, if it names one.
    public var namespace: String?

    /// Reads the kubeconfig at `path` and resolves `context` (default: its current-context).
    /// Relative file paths inside it are relative to the kubeconfig's own directory, as kubectl
    /// takes them.
    public static func load(kubeconfig path: String, context: String? = nil) throws(ConfigError) -> KubernetesAccess {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError(file: path, issues: [.init(path: "", reason: "cannot read the kubeconfig: \(error.localizedDescription)")])
        }
        let config = try ConfigDocument.decode(KubeConfig.self, from: data, file: path)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try resolve(config, context: context, file: path, directory: directory)
    }

    static func resolve(_ config: KubeConfig, context wanted: String?, file: String, directory: String) throws(ConfigError) -> KubernetesAccess {
        func fail(_ field: String, _ reason: String) -> ConfigError {
            ConfigError(file: file, issues: [.init(path: field, reason: reason)])
        }
        guard let contextName = wanted ?? config.currentContext else {
            throw fail("current-context", "not set; name a context with --kubeconfig-context")
        }
        guard let context = config.contexts.first(where: { $0.name == contextName })?.value else {
            throw fail("contexts", "no context named '\(contextName)' (have: \(config.contexts.map(\.name).joined(separator: ", ")))")
        }
        guard let cluster = config.clusters.first(where: { $0.name == context.cluster })?.value else {
            throw fail("contexts[\(contextName)].context.cluster", "no cluster named '\(context.cluster)'")
        }
        guard let url = URL(string: cluster.server), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw fail("clusters[\(context.cluster)].cluster.server", "'\(cluster.server)' is not an http:// or https:// URL")
        }
        var access = KubernetesAccess(server: cluster.server, insecureSkipTLSVerify: cluster.insecureSkipTLSVerify ?? false, namespace: context.namespace)
        let clusterPath = "clusters[\(context.cluster)].cluster"
        access.certificateAuthority = try material(
            data: cluster.certificateAuthorityData, file: cluster.certificateAuthority, field: "\(clusterPath).certificate-authority",
            directory: directory, configFile: file)

        guard let userName = context.user else { return access }
        guard let user = config.users.first(where: { $0.name == userName })?.value else {
            throw fail("contexts[\(contextName)].context.user", "no user named '\(userName)'")
        }
        let userPath = "users[\(userName)].user"
        if user.hasExec || user.hasAuthProvider {
            throw fail(
                "\(userPath).\(user.hasExec ? "exec" : "auth-provider")",
                "credential plugins are not supported; give the controller a service-account token (token or tokenFile) or a client certificate")
        }
        if user.hasPassword {
            throw fail("\(userPath).password", "basic authentication is not supported by Kubernetes since 1.19; use a token")
        }
        if let token = user.token {
            access.token = token
        } else if let tokenFile = user.tokenFile {
            guard let bytes = try material(data: nil, file: tokenFile, field: "\(userPath).tokenFile", directory: directory, configFile: file) else {
                return access
            }
            access.token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        access.clientCertificate = try material(
            data: user.clientCertificateData, file: user.clientCertificate, field: "\(userPath).client-certificate",
            directory: directory, configFile: file)
        access.clientKey = try material(
            data: user.clientKeyData, file: user.clientKey, field: "\(userPath).client-key", directory: directory, configFile: file)
        if (access.clientCertificate == nil) != (access.clientKey == nil) {
            throw fail(userPath, "a client certificate needs its key and a key its certificate")
        }
        return access
    }

    /// Inline base64 data (`*-data`) or the contents of a file, whichever the kubeconfig gives.
    private static func material(data: String?, file: String?, field: String, directory: String, configFile: String) throws(ConfigError) -> [UInt8]? {
        if let data {
            guard let bytes = Data(base64Encoded: data.filter { !$0.isWhitespace }) else {
                throw ConfigError(file: configFile, issues: [.init(path: "\(field)-data", reason: "not valid base64")])
            }
            return Array(bytes)
        }
        guard let file else { return nil }
        let path = file.hasPrefix("/") ? file : "\(directory)/\(file)"
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: configFile, issues: [.init(path: field, reason: "cannot read '\(path)'")])
        }
        return Array(bytes)
    }
}
