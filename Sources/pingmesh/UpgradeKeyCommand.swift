import ArgumentParser
import Crypto
import Foundation
import PingmeshAgent

/// `pingmesh upgrade-key generate|sign`: the release key that signs what self-upgrading agents
/// may install.
struct UpgradeKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade-key",
        abstract: "Make the release key pair and sign binaries for agents' self-upgrade (docs/upgrade.md).",
        subcommands: [Generate.self, Sign.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new Ed25519 key pair: FILE (private, mode 0600; keep it off the fleet) and FILE.pub (for --upgrade-public-key).")

        @Option(help: "Where the private key goes; the public key goes to the same path with .pub.")
        var out: String

        func run() throws {
            let publicPath = out + ".pub"
            for path in [out, publicPath] where FileManager.default.fileExists(atPath: path) {
                throw ValidationError("--out: \(path) exists; a key is never overwritten")
            }
            let key = Curve25519.Signing.PrivateKey()
            guard FileManager.default.createFile(atPath: out, contents: Data(UpgradeKeyFile.text(of: key).utf8), attributes: [.posixPermissions: 0o600])
            else { throw ValidationError("--out: cannot write \(out)") }
            guard FileManager.default.createFile(atPath: publicPath, contents: Data(UpgradeKeyFile.text(of: key.publicKey).utf8)) else {
                throw ValidationError("--out: cannot write \(publicPath)")
            }
            print("private key: \(out) (sign with it; keep it off the fleet)\npublic key:  \(publicPath) (agents: --upgrade-public-key)")
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign BINARY as VERSION: prints the upgrade file's version, sha256 and signature (add url and rollout).")

        @Argument(help: "The binary agents will install.")
        var binary: String

        @Option(help: "The private key file of pingmesh upgrade-key generate.")
        var key: String

        @Option(help: "The version the binary reports; the signature binds it.")
        var version: String

        func run() throws {
            let privateKey: Curve25519.Signing.PrivateKey
            do {
                privateKey = try UpgradeKeyFile.readPrivateKey(path: key)
            } catch {
                throw ValidationError("--key: \(error)")
            }
            let digest: String
            do {
                digest = try UpgradeSignature.sha256(ofFile: binary)
            } catch {
                throw ValidationError("binary: \(error)")
            }
            let trimmed = version.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, trimmed == version, version.count <= 64 else {
                throw ValidationError("--version: '\(version)' must be 1 to 64 characters without surrounding spaces")
            }
            let signature = try UpgradeSignature.sign(version: version, sha256: digest, with: privateKey)
            print("version: \(version)\nsha256: \(digest)\nsignature: \(signature)")
        }
    }
}
