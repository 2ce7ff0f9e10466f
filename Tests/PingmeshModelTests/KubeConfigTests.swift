import Foundation
import Testing

@testable import PingmeshModel

@Suite("kubeconfig")
struct KubeConfigTests {
    /// A kubeconfig with two contexts in a directory of its own, as kubectl writes them.
    static func write(_ text: String, files: [String: String] = [:]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubeconfig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, contents) in files {
            try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let path = directory.appendingPathComponent("config").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let sample = """
        apiVersion: v1
        kind: Config
        preferences: {}
        current-context: lab
        clusters:
        - name: lab-cluster
          cluster:
            server: https://10.0.0.1:6443
            certificate-authority-data: \(Data("CA PEM".utf8).base64EncodedString())
        - name: proxy
          cluster:
            server: http://127.0.0.1:8001
            certificate-authority: ca.pem
        contexts:
        - name: lab
          context: {cluster: lab-cluster, user: robot, namespace: pingmesh}
        - name: local
          context: {cluster: proxy, user: file-user}
        users:
        - name: robot
          user:
            token: abc123
            client-certificate-data: \(Data("CERT".utf8).base64EncodedString())
            client-key-data: \(Data("KEY".utf8).base64EncodedString())
        - name: file-user
          user:
            tokenFile: token.txt
        """

    @Test("the current context gives the server, inline CA, token, client certificate and namespace")
    func currentContext() throws {
        let path = try Self.write(Self.sample)
        let access = try KubernetesAccess.load(kubeconfig: path)
        #expect(access.server == "https://10.0.0.1:6443")
        #expect(access.token == "abc123")
        #expect(access.certificateAuthority == Array("CA PEM".utf8))
        #expect(access.clientCertificate == Array("CERT".utf8))
        #expect(access.clientKey == Array("KEY".utf8))
        #expect(access.namespace == "pingmesh")
        #expect(!access.insecureSkipTLSVerify)
    }

    @Test("another context reads files relative to the kubeconfig's directory")
    func relativeFiles() throws {
        let path = try Self.write(Self.sample, files: ["ca.pem": "CA FILE", "token.txt": "file-token\n"])
        let access = try KubernetesAccess.load(kubeconfig: path, context: "local")
        #expect(access.server == "http://127.0.0.1:8001")
        #expect(access.token == "file-token")
        #expect(access.certificateAuthority == Array("CA FILE".utf8))
        #expect(access.clientCertificate == nil)
    }

    @Test(
        "errors name the field and why",
        arguments: [
            ("context: nowhere", "contexts", "no context named 'nowhere'"),
            ("context: local", "clusters[proxy].cluster.certificate-authority", "cannot read"),
            ("exec", "users[robot].user.exec", "credential plugins are not supported"),
            ("password", "users[robot].user.password", "basic authentication"),
            ("bad server", "clusters[lab-cluster].cluster.server", "not an http:// or https:// URL"),
            ("cert without key", "users[robot].user", "needs its key"),
            ("bad base64", "clusters[lab-cluster].cluster.certificate-authority-data", "not valid base64"),
        ])
    func errors(_ change: String, field: String, reason: String) throws {
        var text = Self.sample
        var context: String?
        switch change {
        case "context: nowhere": context = "nowhere"
        case "context: local": context = "local"
        case "exec":
            text = text.replacingOccurrences(of: "    token: abc123", with: "    exec: {command: aws, apiVersion: client.authentication.k8s.io/v1}")
        case "password": text = text.replacingOccurrences(of: "    token: abc123", with: "    username: a\n    password: b")
        case "bad server": text = text.replacingOccurrences(of: "https://10.0.0.1:6443", with: "10.0.0.1:6443")
        case "cert without key": text = text.replacingOccurrences(of: "    client-key-data:", with: "    other-key-data:")
        default: text = text.replacingOccurrences(of: "certificate-authority-data: ", with: "certificate-authority-data: \"%%%\" #")
        }
        let path = try Self.write(text)
        let error = try #require(throws: ConfigError.self) { try KubernetesAccess.load(kubeconfig: path, context: context) }
        #expect(error.issues.first?.path == field)
        #expect(error.issues.first?.reason.contains(reason) == true, "\(error)")
    }

    @Test("a missing file and a file without a current context are reported")
    func missing() throws {
        let error = try #require(throws: ConfigError.self) { try KubernetesAccess.load(kubeconfig: "/nonexistent/kubeconfig") }
        #expect(error.description.contains("cannot read the kubeconfig"))
        let path = try Self.write(Self.sample.replacingOccurrences(of: "current-context: lab\n", with: ""))
        let noContext = try #require(throws: ConfigError.self) { try KubernetesAccess.load(kubeconfig: path) }
        #expect(noContext.issues.first?.path == "current-context")
    }
}
