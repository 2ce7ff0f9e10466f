import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Something a test needs from the machine rather than from the code under test: root, a tool,
/// the built binary, IPv6 loopback. Checked here by plain means (a file, a socket, a capability
/// bit), never through pingmesh's own code, so a broken prober cannot pass for a missing
/// prerequisite. Tests state theirs with `.requires(...)`.
public struct Prerequisite: Sendable, CustomStringConvertible {
    /// What is needed and how to get it, as a skip or a failure names it.
    public let description: String
    /// Checked only when a test that needs it is about to run, not at test discovery: the check
    /// costs a process start, and discovery makes every test's traits on every `swift test`.
    public let isCostly: Bool
    private let check: @Sendable () -> Bool

    public init(_ description: String, costly: Bool = false, _ check: @escaping @Sendable () -> Bool) {
        self.description = description
        self.isCostly = costly
        self.check = check
    }

    public var isMet: Bool { check() }

    /// Whether a missing prerequisite fails the test instead of skipping it: CI has every tool
    /// installed (scripts/setup.sh), so there a skip can only hide a broken setup.
    public static var isCI: Bool {
        ["true", "1", "yes"].contains((ProcessInfo.processInfo.environment["CI"] ?? "").lowercased())
    }

    /// What a test fails with when something it needs is missing: under CI from `.requires`,
    /// anywhere from a body that looks up what its `.requires` should have vouched for.
    public struct Missing: Error, CustomStringConvertible {
        public let prerequisites: [String]
        public init(prerequisites: [String]) { self.prerequisites = prerequisites }
        public var description: String {
            "\(Prerequisite.isCI ? "CI requires" : "missing") \(prerequisites.joined(separator: ", "))"
        }
    }

    // MARK: The machine

    /// Creating network namespaces (`ip netns add`) takes CAP_SYS_ADMIN, which root in an
    /// unprivileged container lacks; `ip` itself is a separate `.tool(.ip)`.
    public static let networkNamespaces = Prerequisite("network namespaces (root with CAP_SYS_ADMIN; CI runs the tests as root)") {
        geteuid() == 0 && hasCapability(21)  // CAP_SYS_ADMIN
    }

    /// A socket bound to ::1: the loopback interface has its IPv6 address.
    public static let ipv6Loopback = Prerequisite("IPv6 loopback (::1 on lo)") { ipv6LoopbackUsable }

    /// An ICMP echo socket for IPv4: a ping socket (`net.ipv4.ping_group_range` covers our
    /// group) or a raw one (root or CAP_NET_RAW).
    public static let icmp = Prerequisite(
        "an ICMP socket (sysctl net.ipv4.ping_group_range covering this group, or root / CAP_NET_RAW)"
    ) { icmpSocketOpens(family: AF_INET) }

    /// The same for ICMPv6 (the ping socket's group range is the IPv4 sysctl's).
    public static let icmpv6 = Prerequisite(
        "an ICMPv6 socket (sysctl net.ipv4.ping_group_range covering this group, or root / CAP_NET_RAW)"
    ) { icmpSocketOpens(family: AF_INET6) }

    // MARK: Programs

    public static func tool(_ tool: Tool) -> Prerequisite {
        Prerequisite("\(tool.name) (\(tool.install))") { tool.location != nil }
    }

    public static let pingmeshBinary = Prerequisite("the built pingmesh binary, .build/debug/pingmesh (swift build)") {
        PingmeshBinary.path != nil
    }

    /// initdb and friends, and under root the `postgres` account the server runs as.
    public static let postgreSQL = Prerequisite("PostgreSQL server binaries (apt-get install postgresql; scripts/setup.sh does)") {
        PostgreSQLBinaries.directory != nil && (getuid() != 0 || getpwnam("postgres") != nil)
    }

    public static let chromium = Prerequisite("/usr/bin/chromium (apt-get install chromium; scripts/setup.sh does)") {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
    }

    public static let playwright = Prerequisite("Playwright for Python (pip install playwright; scripts/setup.sh does)", costly: true) {
        playwrightImports
    }

    // MARK: Checks

    /// Whether bit `capability` is set in this process's effective capabilities.
    static func hasCapability(_ capability: Int) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
            let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return mask & (1 << UInt64(capability)) != 0
    }

    private static let ipv6LoopbackUsable: Bool = {
        let fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        } == 0
    }()

    private static func icmpSocketOpens(family: Int32) -> Bool {
        let proto = family == AF_INET6 ? Int32(IPPROTO_ICMPV6) : Int32(IPPROTO_ICMP)
        for type in [SOCK_DGRAM, SOCK_RAW] {
            let fd = socket(family, Int32(type.rawValue), proto)
            if fd >= 0 {
                close(fd)
                return true
            }
        }
        return false
    }

    /// Asked of python3 once per test process.
    private static let playwrightImports: Bool = {
        guard let python = Command.which("python3") else { return false }
        return (try? Command.runBlocking(python, ["-c", "import playwright"]))?.status == 0
    }()
}

extension Trait where Self == ConditionTrait {
    /// Runs the test or suite only where every prerequisite is met. Otherwise it is reported as
    /// skipped, naming what is missing; under CI (`CI=true`) it fails instead, with the same
    /// names, because there a missing tool is a broken setup and a skip would hide it.
    public static func requires(_ prerequisites: Prerequisite..., sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        // The cheap checks (a file, a socket, a capability bit) are decided when the trait is
        // made, at test discovery, so the skip's comment can name exactly what is missing; the
        // costly ones wait until the test is about to run, and the comment names them all.
        let missing = prerequisites.filter { !$0.isCostly && !$0.isMet }.map(\.description)
        let costly = prerequisites.filter(\.isCostly)
        let comment: String
        if !missing.isEmpty {
            comment = "missing \(missing.joined(separator: ", "))"
        } else if !costly.isEmpty {
            comment = "needs \(costly.map(\.description).joined(separator: ", "))"
        } else {
            comment = "needs \(prerequisites.map(\.description).joined(separator: ", "))"
        }
        return .enabled(Comment(rawValue: comment), sourceLocation: sourceLocation) {
            let absent = missing.isEmpty ? costly.filter { !$0.isMet }.map(\.description) : missing
            guard absent.isEmpty else {
                // A condition that throws is recorded as an issue: the test fails, not skips.
                if Prerequisite.isCI { throw Prerequisite.Missing(prerequisites: absent) }
                return false
            }
            return true
        }
    }
}
