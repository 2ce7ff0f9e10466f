import Foundation
import Testing

@testable import PingmeshModel

@Suite("Admin token files")
struct AdminTokenFilesTests {
    static func scratch() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("admin-tokens-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("a server is closed without tokens, open only when asked, and refuses both a tokens file and --insecure-open-admin")
    func serverTokens() throws {
        let closed = try AdminTokenFiles.serverTokens(file: nil, openAdmin: false)
        #expect(closed.isOpen && !closed.adminOpenToAnyone)
        #expect(try AdminTokenFiles.serverTokens(file: nil, openAdmin: true).adminOpenToAnyone)
        #expect {
            try AdminTokenFiles.serverTokens(file: "/tmp/tokens.yaml", openAdmin: true)
        } throws: { ($0 as? ConfigIssue)?.path == "--insecure-open-admin" }
    }

    @Test("the token file is its owner's alone and holds the token on one line; new tokens are 32 random hex digits")
    func write() throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = AdminTokenFiles.path(dataDirectory: "\(directory)/data")
        let token = AdminTokenFiles.newToken()
        #expect(token.count == 32 && token.allSatisfy(\.isHexDigit))
        #expect(token != AdminTokenFiles.newToken())
        try AdminTokenFiles.write(token: token, to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == token + "\n")
    }

    @Test("a tool sends --token, else --token-file's, else the file pingmesh up wrote, else none; bad files name the flag")
    func resolve() throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = "\(directory)/token"
        let upFile = "\(directory)/up-token"
        try "  from-file\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try AdminTokenFiles.resolve(token: "given", file: nil, upDefault: upFile) == "given")
        #expect(try AdminTokenFiles.resolve(token: nil, file: file, upDefault: upFile) == "from-file")
        #expect(try AdminTokenFiles.resolve(token: nil, file: nil, upDefault: upFile) == nil)
        try "from-up\n".write(toFile: upFile, atomically: true, encoding: .utf8)
        #expect(try AdminTokenFiles.resolve(token: nil, file: nil, upDefault: upFile) == "from-up")

        #expect(throws: ConfigIssue(path: "--token-file", reason: "not with --token; give one of them")) {
            try AdminTokenFiles.resolve(token: "given", file: file, upDefault: upFile)
        }
        #expect(throws: ConfigIssue(path: "--peer-token-file", reason: "cannot read \(directory)/missing")) {
            try AdminTokenFiles.resolve(token: nil, file: "\(directory)/missing", flag: "--peer-token-file", upDefault: upFile)
        }
        try "two words\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: ConfigIssue(path: "--token-file", reason: "\(file) holds no token (one line, no spaces)")) {
            try AdminTokenFiles.resolve(token: nil, file: file, upDefault: upFile)
        }
    }
}
