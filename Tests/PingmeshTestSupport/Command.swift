import Foundation

/// Runs a program to completion and captures its output: promtool, the pingmesh binary.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum Command {
    /// The full path of `name` on PATH, or nil.
    public static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs the program on a thread of its own and awaits it: a tool that takes seconds (promtool,
    /// a Python validator, the pingmesh binary, anything under `ip netns exec`) would otherwise hold
    /// one of the machine's few cooperative threads, and async tests running beside it would stall
    /// for seconds, long enough to fail timing checks in unrelated suites.
    public static func run(_ executable: String, _ arguments: [String], stdin: Data? = nil) async throws -> CommandResult {
        try await onOwnThread { try runBlocking(executable, arguments, stdin: stdin) }
    }

    /// Runs `work` on a new thread and resumes with its result; for blocking waits on processes.
    public static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    /// The synchronous form, for cleanup in `defer` blocks, where no await is possible.
    public static func runBlocking(_ executable: String, _ arguments: [String], stdin: Data? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        // Read before waiting, so a large output cannot fill the pipe and block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self)
        )
    }
}

/// `promtool check metrics`, the reference linter for the exposition format.
public enum Promtool {
    /// promtool's verdict on `exposition`; throws where promtool is not installed (tests that
    /// call this carry `.requires(.tool(.promtool))`).
    public static func check(_ exposition: String) async throws -> CommandResult {
        try await Command.run(try Tool.promtool.path(), ["check", "metrics"], stdin: Data(exposition.utf8))
    }
}

/// The built `pingmesh` executable next to the test bundle, if the build produced it.
public enum PingmeshBinary {
    public static var path: String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for configuration in ["debug", "release"] {
            let candidate = root.appendingPathComponent(".build/\(configuration)/pingmesh").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The path; throws where the binary is not built (tests that call this carry
    /// `.requires(.pingmeshBinary)`).
    public static func require() throws -> String {
        guard let path else { throw Prerequisite.Missing(prerequisites: [Prerequisite.pingmeshBinary.description]) }
        return path
    }
}

extension Process {
    /// `waitUntilExit` on a thread of its own, so the cooperative pool keeps serving other tests
    /// while a child shuts down.
    public func exited() async {
        _ = try? await Command.onOwnThread { self.waitUntilExit() }
    }
}
