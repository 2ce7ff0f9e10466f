import ArgumentParser
import Foundation
import PingmeshModel

/// `--tokens` and `--insecure-open-admin`, as the controller and the collector take them.
enum AdminAccess {
    /// The tokens file's tokens, or none; admin operations without tokens only when opened.
    static func tokens(file: String?, openAdmin: Bool) throws -> AccessTokens {
        if openAdmin, file != nil {
            throw ValidationError("--insecure-open-admin: not with --tokens, whose admin tokens already say who may run admin operations")
        }
        guard let file else { return AccessTokens(openAdmin: openAdmin) }
        return try AccessTokens.load(path: file)
    }

    /// A fresh random token for `pingmesh up`: 32 hex digits from the system's random source.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%08x", UInt32.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// Writes `token` to `path`, readable by its owner only.
    static func write(token: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        try Data((token + "\n").utf8).write(to: url)
    }

    /// Where `pingmesh up` writes its admin token, under its data directory.
    static func tokenFile(dataDirectory: String) -> String { "\(dataDirectory)/admin-token" }
}

/// The admin token the command-line tools send: `--token`, else `--token-file`, else the file
/// `pingmesh up` writes under its default data directory, so the demo needs no flag.
enum AdminTokenFile {
    static let upDefault = AdminAccess.tokenFile(dataDirectory: "./pingmesh-data")

    static func resolve(token: String?, file: String?, flag: String = "--token-file") throws -> String? {
        if let token {
            guard file == nil else { throw ValidationError("\(flag): not with --token; give one of them") }
            return token
        }
        guard let path = file ?? (FileManager.default.fileExists(atPath: upDefault) ? upDefault : nil) else { return nil }
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() ?? Data() else {
            throw ValidationError("\(flag): cannot read \(path)")
        }
        try? handle.close()
        let read = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !read.isEmpty, !read.contains(where: \.isWhitespace) else {
            throw ValidationError("\(flag): \(path) holds no token (one line, no spaces)")
        }
        return read
    }
}
