import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A program left running while a test talks to it (`pingmesh up`), its output in a log file
/// the test can quote when something does not come up.
public final class BackgroundProcess: @unchecked Sendable {
    public let process = Process()
    public let logPath: String

    public init(_ executable: String, _ arguments: [String], logPath: String) throws {
        self.logPath = logPath
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// SIGTERM, as an operator's Ctrl-C or systemd would, then the exit status.
    @discardableResult
    public func stop() async -> Int32 {
        if process.isRunning { process.terminate() }
        let process = self.process
        // The wait runs on a thread of its own so the cooperative pool keeps serving other tests.
        return (try? await Command.onOwnThread {
            process.waitUntilExit()
            return process.terminationStatus
        }) ?? -1
    }

    /// SIGTERM without waiting, for `defer` blocks.
    public func terminate() { if process.isRunning { process.terminate() } }

    /// The last `lines` lines of the log.
    public func logTail(_ lines: Int = 30) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    deinit { if process.isRunning { process.terminate() } }
}

/// JSON over plain HTTP for tests: GET a URL and decode it as a dictionary.
public enum HTTPJSON {
    public static func get(_ url: String, token: String? = nil) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: url)!)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse, http.statusCode == 200 else {
            throw HTTPJSONError(description: "GET \(url): \((response as? HTTPURLResponse)?.statusCode ?? 0) \(String(decoding: data, as: UTF8.self))")
        }
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HTTPJSONError(description: "GET \(url): not a JSON object")
        }
        return object
    }
}

public struct HTTPJSONError: Error, CustomStringConvertible {
    public var description: String
}
