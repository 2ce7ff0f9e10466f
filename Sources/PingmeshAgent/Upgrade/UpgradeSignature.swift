import Crypto
import Foundation
import PingmeshModel

/// Ed25519 signatures of upgrade offers. The key signs the version and the binary's SHA-256
/// (`message(version:sha256:)`), not the bytes: the agent checks the digest while the binary
/// streams in, so the digest stands for the binary, and the version cannot be swapped for another
/// release's. An agent with `--self-upgrade` installs only offers whose signature verifies under
/// its `--upgrade-public-key`; the controller and whoever can reach its admin API cannot forge one.
public enum UpgradeSignature {
    /// What is signed: a fixed context, the version and the lowercased hex digest, one per line.
    public static func message(version: String, sha256: String) -> Data {
        Data("pingmesh-upgrade-v1\n\(version)\n\(sha256.lowercased())\n".utf8)
    }

    /// The base64 signature of `version` with the binary whose SHA-256 is `sha256`.
    public static func sign(version: String, sha256: String, with key: Curve25519.Signing.PrivateKey) throws -> String {
        try key.signature(for: message(version: version, sha256: sha256)).base64EncodedString()
    }

    /// Whether `signature` (base64) signs `version` and `sha256` under `key`.
    public static func verify(signature: String, version: String, sha256: String, key: Curve25519.Signing.PublicKey) -> Bool {
        guard let bytes = Data(base64Encoded: signature), bytes.count == 64 else { return false }
        return key.isValidSignature(bytes, for: message(version: version, sha256: sha256))
    }

    /// The SHA-256 of a file, hex, read in 1 MiB pieces.
    public static func sha256(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw UpgradeKeyError(path: path, reason: "cannot be read") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// Key files: one line, a fixed prefix saying which kind of key, then the raw 32-byte key in
/// base64. The prefix keeps a private key from being given where a public one is wanted.
public enum UpgradeKeyFile {
    static let privatePrefix = "pingmesh-upgrade-private-key "
    static let publicPrefix = "pingmesh-upgrade-public-key "

    public static func text(of key: Curve25519.Signing.PrivateKey) -> String {
        privatePrefix + key.rawRepresentation.base64EncodedString() + "\n"
    }

    public static func text(of key: Curve25519.Signing.PublicKey) -> String {
        publicPrefix + key.rawRepresentation.base64EncodedString() + "\n"
    }

    public static func readPrivateKey(path: String) throws -> Curve25519.Signing.PrivateKey {
        let raw = try raw(path: path, prefix: privatePrefix, kind: "a private key (pingmesh upgrade-key generate)")
        return try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
    }

    public static func readPublicKey(path: String) throws -> Curve25519.Signing.PublicKey {
        let raw = try raw(path: path, prefix: publicPrefix, kind: "a public key (the .pub file of pingmesh upgrade-key generate)")
        return try Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }

    private static func raw(path: String, prefix: String, kind: String) throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() ?? Data() else {
            throw UpgradeKeyError(path: path, reason: "cannot be read")
        }
        try? handle.close()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix(prefix), let raw = Data(base64Encoded: String(text.dropFirst(prefix.count))), raw.count == 32 else {
            throw UpgradeKeyError(path: path, reason: "is not \(kind)")
        }
        return raw
    }
}

public struct UpgradeKeyError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path) \(reason)" }
}
