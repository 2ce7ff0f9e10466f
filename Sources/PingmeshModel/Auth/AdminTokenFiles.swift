import Foundation

/// Admin tokens on disk, as the servers and the command-line tools share them: the tokens a
/// server takes with `--tokens` or `--insecure-open-admin`, the token `pingmesh up` generates
/// and writes under its data directory, and the one a tool sends (`--token`, `--token-file`, or
/// that file).
public enum AdminTokenFiles {
    /// Where `pingmesh up` writes its admin token, under its data directory.
    public static func path(dataDirectory: String) -> String { "\(dataDirectory)/admin-token" }

    /// The file `pingmesh up` writes under its default data directory.
    public static let upDefault = path(dataDirectory: "./pingmesh-data")

    /// A server's tokens: the tokens file's, or none; with none, admin operations are open to
    /// anyone only when `openAdmin`, which a tokens file contradicts.
    public static func serverTokens(file: String?, openAdmin: Bool) throws -> AccessTokens {
        if openAdmin, file != nil {
            throw ConfigIssue(
                path: "--insecure-open-admin", reason: "not with --tokens, whose admin tokens already say who may run admin operations")
        }
        guard let file else { return AccessTokens(openAdmin: openAdmin) }
        return try AccessTokens.load(path: file)
    }

    /// A fresh random token: 32 hex digits from the system's random source.
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%08x", UInt32.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// Writes `token` to `path`, readable by its owner only: the file is created 0600 before
    /// the token is in it.
    public static func write(token: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        try Data((token + "\n").utf8).write(to: url)
    }

    /// The token a tool sends: `token`, else the one in `file`, else the one in `upDefault` when
    /// it exists, else none. `flag` names the file's option in errors.
    public static func resolve(token: String?, file: String?, flag: String = "--token-file", upDefault: String = upDefault) throws(ConfigIssue)
        -> String?
    {
        if let token {
            guard file == nil else { throw ConfigIssue(path: flag, reason: "not with --token; give one of them") }
            return token
        }
        guard let path = file ?? (FileManager.default.fileExists(atPath: upDefault) ? upDefault : nil) else { return nil }
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() ?? Data() else {
            throw ConfigIssue(path: flag, reason: "cannot read \(path)")
        }
        try? handle.close()
        let read = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !read.isEmpty, !read.contains(where: \.isWhitespace) else {
            throw ConfigIssue(path: flag, reason: "\(path) holds no token (one line, no spaces)")
        }
        return read
    }
}
