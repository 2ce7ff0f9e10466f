import Foundation
import PingmeshTestSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL server for the store tests, from the distribution's binaries
/// (Debian: /usr/lib/postgresql/N/bin): a fresh cluster in a temporary directory, listening on
/// 127.0.0.1 at a free port and a private socket directory, fsync off, trust authentication.
/// One server per test process, started on first use and stopped (`pg_ctl stop -m immediate`)
/// when the process exits; each test takes its own database, so tests stay independent and run
/// in parallel. PostgreSQL refuses to run as root, so under root the server runs as the
/// `postgres` user (`runuser`, or `su` where there is no runuser).
final class PostgresServer: Sendable {
    let port: Int
    /// The directory holding the cluster (`data`), its log and its socket.
    let directory: String
    /// The server's self-signed certificate, which is also the CA a client must trust for
    /// `sslmode=verify-full`: the server takes TLS and plain connections alike. Nil when openssl
    /// is missing (then it takes plain ones only).
    let caFile: String?
    private let binaries: String
    private let runAs: RunAs?
    private let databases = Atomic<Int>(0)

    /// The superuser initdb creates; trust authentication, so no password.
    static let superuser = "postgres"

    /// The process-wide server. Tests that use it carry `.requires(.postgreSQL)`, so the
    /// binaries are there by now and a server that cannot start is a failure, with the reason.
    static func shared() async throws -> PostgresServer {
        try await sharedStart.value.get()
    }

    private static let sharedStart = Task<Result<PostgresServer, any Error>, Never> {
        do { return .success(try await PostgresServer.offThread { try PostgresServer.start() }) } catch { return .failure(error) }
    }

    private init(port: Int, directory: String, binaries: String, runAs: RunAs?, caFile: String?) {
        self.caFile = caFile
        self.port = port
        self.directory = directory
        self.binaries = binaries
        self.runAs = runAs
    }

    /// Creates an empty database and returns its URL.
    func createDatabase() async throws -> String {
        let name = "pingmesh_\(databases.add(1, ordering: .relaxed).newValue)_\(UInt32.random(in: 0...UInt32.max))"
        let result = try await Self.offThread {
            // Over TCP with trust authentication: any OS user may do this, root included.
            try Self.spawn("\(self.binaries)/createdb", ["-h", "127.0.0.1", "-p", "\(self.port)", "-U", Self.superuser, name], in: self.directory)
        }
        guard result.status == 0 else { throw ServerError("createdb \(name) failed: \(result.output)") }
        return "postgres://\(Self.superuser)@127.0.0.1:\(port)/\(name)"
    }

    /// Runs SQL with psql in the database a `createDatabase()` URL names.
    /// Runs `sql` through psql and returns what it printed.
    @discardableResult
    func execute(_ sql: String, in url: String) async throws -> String {
        let name = String(url.split(separator: "/").last ?? "")
        let result = try await Self.offThread {
            try Self.spawn(
                "\(self.binaries)/psql",
                ["-h", "127.0.0.1", "-p", "\(self.port)", "-U", Self.superuser, "-d", name, "-v", "ON_ERROR_STOP=1", "-c", sql],
                in: self.directory)
        }
        guard result.status == 0 else { throw ServerError("psql failed: \(result.output)") }
        return result.output
    }

    // MARK: Starting and stopping

    private static func start() throws -> PostgresServer {
        let binaries = try findBinaries()
        let runAs = try RunAs.forCurrentUser()
        // /tmp rather than $TMPDIR: the postgres user must reach it, and the socket path must
        // stay under the 107 bytes a Unix socket address holds.
        let directory = "/tmp/pingmesh-pg-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        if let runAs, chown(directory, runAs.uid, runAs.gid) != 0 {
            throw ServerError("chown \(directory) to \(runAs.user) failed: errno \(errno)")
        }
        let data = "\(directory)/data"
        try startWatchdog(directory: directory, stop: command(runAs, "\(binaries)/pg_ctl", ["-D", data, "-m", "immediate", "-w", "-t", "20", "stop"]))
        let initdb = try run(
            runAs, "\(binaries)/initdb",
            ["-D", data, "-U", superuser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"], in: directory)
        guard initdb.status == 0 else {
            try? FileManager.default.removeItem(atPath: directory)
            throw ServerError("initdb failed: \(initdb.output)")
        }
        // A certificate for 127.0.0.1, owned by the server's user and readable by it alone, as
        // PostgreSQL requires of its key.
        var tlsOptions: [String] = []
        var caFile: String?
        if let openssl = try? Tool.openssl.path() {
            let (certificate, key) = ("\(directory)/server.crt", "\(directory)/server.key")
            let made = try run(
                runAs, openssl,
                [
                    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", certificate,
                    "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                ], in: directory)
            guard made.status == 0, chmod(key, 0o600) == 0 else { throw ServerError("openssl could not make the server's certificate: \(made.output)") }
            tlsOptions = ["-c ssl=on", "-c ssl_cert_file=\(certificate)", "-c ssl_key_file=\(key)"]
            caFile = certificate
        }
        // A free port can be taken between the probe and the bind; try a few.
        var lastLog = ""
        for _ in 0..<3 {
            let port = try freePort()
            let options = ([
                "-k \(directory)", "-c listen_addresses=127.0.0.1", "-p \(port)", "-c fsync=off", "-c synchronous_commit=off",
                "-c full_page_writes=off", "-c max_connections=300",
            ] + tlsOptions).joined(separator: " ")
            let started = try run(runAs, "\(binaries)/pg_ctl", ["-D", data, "-l", "\(directory)/log", "-w", "-t", "60", "-o", options, "start"], in: directory)
            if started.status == 0 {
                let server = PostgresServer(port: port, directory: directory, binaries: binaries, runAs: runAs, caFile: caFile)
                running.withLock { $0 = server }
                atexit { PostgresServer.stopRunning() }
                return server
            }
            lastLog = (try? String(contentsOfFile: "\(directory)/log", encoding: .utf8)) ?? started.output
            guard lastLog.contains("could not bind") || lastLog.contains("Address already in use") else { break }
        }
        try? FileManager.default.removeItem(atPath: directory)
        throw ServerError("pg_ctl start failed: \(lastLog.suffix(2000))")
    }

    /// The server to stop at exit.
    private static let running = Mutex<PostgresServer?>(nil)

    private static func stopRunning() {
        guard let server = running.withLock({ value -> PostgresServer? in defer { value = nil }; return value }) else { return }
        server.stop()
    }

    /// Stops the server at once (no checkpoint: the data is thrown away) and removes its files.
    func stop() {
        _ = try? Self.run(runAs, "\(binaries)/pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "-t", "20", "stop"], in: directory)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The newest /usr/lib/postgresql/N/bin (Debian, Ubuntu), else the directory of an
    /// `initdb` on PATH.
    private static func findBinaries() throws -> String {
        guard let directory = PostgreSQLBinaries.directory else {
            throw ServerError("initdb not found under /usr/lib/postgresql/*/bin or on PATH")
        }
        return directory
    }

    /// A port on 127.0.0.1 that nothing listened on a moment ago.
    private static func freePort() throws -> Int {
        let (socket, port) = try BlockingSocket.listener(backlog: 1)
        _ = socket
        return port
    }

    /// Runs a server program, as the postgres user when `runAs` says so.
    private static func run(_ runAs: RunAs?, _ program: String, _ arguments: [String], in directory: String) throws -> Finished {
        let (program, arguments) = command(runAs, program, arguments)
        return try spawn(program, arguments, in: directory)
    }

    /// The program and arguments that run `program` as the postgres user when `runAs` says so.
    private static func command(_ runAs: RunAs?, _ program: String, _ arguments: [String]) -> (String, [String]) {
        guard let runAs else { return (program, arguments) }
        if let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first(where: FileManager.default.isExecutableFile(atPath:)) {
            return (runuser, ["-u", runAs.user, "--", program] + arguments)
        }
        let quoted = ([program] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return ("/bin/su", [runAs.user, "-s", "/bin/sh", "-c", quoted])
    }

    /// A shell that waits for end-of-file on a pipe only this process holds open, then runs
    /// `stop` and removes `directory`: exit handlers do not run when the test process crashes
    /// or is killed (a CI timeout), and a postmaster outlives its starter. The write end is
    /// close-on-exec, so no other child keeps it open; it closes when this process ends.
    private static func startWatchdog(directory: String, stop: (String, [String])) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ServerError("pipe failed: errno \(errno)") }
        // (pipe2 with O_CLOEXEC is a GNU extension Swift's Glibc does not declare.)
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let script = #"dir=$1; shift; read -r _; "$@" >/dev/null 2>&1; rm -rf "$dir""#
        _ = try launch("/bin/sh", ["-c", script, "pingmesh-pg-watchdog", directory, stop.0] + stop.1, stdin: fds[0], output: "/dev/null")
        close(fds[0])
        // fds[1] stays open, unused, for the life of the process.
    }

    /// Runs a program to completion with posix_spawn and a blocking waitpid, its output (stdout
    /// and stderr together) through a file in `directory` (which the watchdog removes even
    /// after a crash). Not Foundation's Process: its exit
    /// detection relies on SIGCHLD reaching libdispatch, and with NIO's threads in the process
    /// the signal can land elsewhere and the wait never ends.
    private static func spawn(_ program: String, _ arguments: [String], in directory: String) throws -> Finished {
        let output = "\(directory)/output-\(UUID().uuidString)"
        defer { unlink(output) }
        let pid = try launch(program, arguments, stdin: nil, output: output)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw ServerError("waitpid for \(program) failed: errno \(errno)") }
        }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        // Exit status as the shell reports it: the code, or 128 + the signal that ended it.
        let exited = status & 0x7f == 0
        return Finished(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output: text)
    }

    /// Starts a program with `stdin` (or /dev/null) as its input and `output` as stdout and
    /// stderr. Descriptors above 2 are closed in the child, so the long-lived postmaster holds
    /// none of the test process's pipes or sockets.
    private static func launch(_ program: String, _ arguments: [String], stdin: Int32?, output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin {
            posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        if let closeFrom { _ = closeFrom(&actions, 3) }
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
        guard spawned == 0 else { throw ServerError("cannot run \(program): \(String(cString: strerror(spawned)))") }
        return pid
    }

    /// Runs blocking work (child processes) on a dispatch thread, not the cooperative pool.
    private static func offThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// The account the server runs as when the tests run as root.
    private struct RunAs: Sendable {
        var user: String
        var uid: uid_t
        var gid: gid_t

        static func forCurrentUser() throws -> RunAs? {
            guard getuid() == 0 else { return nil }
            guard let entry = getpwnam("postgres") else {
                throw ServerError("running as root, and there is no postgres user to run the server as")
            }
            return RunAs(user: "postgres", uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
        }
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34 and later), which Swift's Glibc
    /// module does not declare (it is a GNU extension).
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// How a program ended, and what it printed (stdout and stderr together).
    private struct Finished: Sendable {
        var status: Int32
        var output: String
    }

    struct ServerError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
