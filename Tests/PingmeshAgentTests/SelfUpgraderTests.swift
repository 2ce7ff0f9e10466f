import Crypto
import Foundation
import Synchronization
import Testing

@testable import PingmeshAgent
@testable import PingmeshModel

/// The agent's half of a self-upgrade against a release server on 127.0.0.1, installing into a
/// scratch file instead of the test binary, with an "exit" that only counts.
@Suite("Agent self-upgrade")
struct SelfUpgraderTests {
    static let newBinary: [UInt8] = Array("#!/bin/sh\necho pingmesh 2.0\n".utf8) + (0..<200_000).map { UInt8($0 % 251) }
    static let oldBinary: [UInt8] = Array("#!/bin/sh\necho pingmesh 1.0\n".utf8)

    static func hex(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

    /// A scratch directory holding the "installed binary" (old bytes, mode 0644).
    struct Scratch {
        let directory: String
        var binary: String { "\(directory)/pingmesh" }

        init() throws {
            directory = NSTemporaryDirectory() + "pingmesh-upgrade-test-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(
                atPath: "\(directory)/pingmesh", contents: Data(SelfUpgraderTests.oldBinary), attributes: [.posixPermissions: 0o644])
        }

        var contents: [UInt8] { (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: binary)))) ?? [] }
        var mode: Int { ((try? FileManager.default.attributesOfItem(atPath: binary)[.posixPermissions]) as? Int) ?? -1 }
        var files: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted() }
        var inode: Int { ((try? FileManager.default.attributesOfItem(atPath: binary)[.systemFileNumber]) as? Int) ?? -1 }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    final class ExitCounter: Sendable {
        private let count = Mutex(0)
        var calls: Int { count.withLock { $0 } }
        func exit() { count.withLock { $0 += 1 } }
    }

    /// The release key; agents hold its public half.
    static let releaseKey = Curve25519.Signing.PrivateKey()

    /// An offer of version 2.0 signed by `key` (the release key unless said otherwise).
    static func offer(_ url: String, sha256: String = hex(newBinary), key: Curve25519.Signing.PrivateKey? = releaseKey) -> UpgradeOffer {
        let signature = key.map { try! UpgradeSignature.sign(version: "2.0", sha256: sha256, with: $0) }
        return UpgradeOffer(version: "2.0", url: url, sha256: sha256, signature: signature)
    }

    @Test("good binary: the install path is replaced by a new file (rename) with the new bytes and mode 0755, then exit")
    func installs() async throws {
        let server = TestReleaseServer(binary: Self.newBinary)
        let (url, running) = try await server.start()
        defer { running.cancel() }
        let scratch = try Scratch()
        defer { scratch.remove() }
        let inodeBefore = scratch.inode
        let exits = ExitCounter()
        let upgrader = SelfUpgrader(installPath: scratch.binary, publicKey: Self.releaseKey.publicKey) { exits.exit() }

        let outcome = await upgrader.handle(Self.offer("\(url)/binary"))
        #expect(outcome == .installed)
        #expect(scratch.contents == Self.newBinary)
        #expect(scratch.mode == 0o755)
        // A rename, not a rewrite in place: a process running the old file keeps its pages.
        #expect(scratch.inode != inodeBefore)
        #expect(scratch.files == ["pingmesh"], "no temporary file left behind")
        #expect(exits.calls == 1)
        // One install per process: a second offer (another controller) is not taken.
        #expect(await upgrader.handle(Self.offer("\(url)/binary")) == .busy)
        #expect(exits.calls == 1)
    }

    @Test("bad checksum: the install path is untouched, no exit, and the failure is reported to the controller")
    func badChecksum() async throws {
        let server = TestReleaseServer(binary: Self.newBinary)
        let (url, running) = try await server.start()
        defer { running.cancel() }
        let scratch = try Scratch()
        defer { scratch.remove() }
        let exits = ExitCounter()
        let upgrader = SelfUpgrader(installPath: scratch.binary, publicKey: Self.releaseKey.publicKey) { exits.exit() }
        let poller = TaskPoller(
            controllers: [url], agentName: "agent-1", runner: TaskRunner(probe: ManualProbe()), agentVersion: "1.0", upgrader: upgrader)

        let wrong = Self.hex(Self.oldBinary)
        let outcome = await poller.upgrade(Self.offer("\(url)/binary", sha256: wrong.uppercased()), from: url)
        guard case .failed(let report) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(report.version == "2.0" && report.error.contains("sha256 mismatch"), "\(report.error)")
        #expect(scratch.contents == Self.oldBinary)
        #expect(scratch.mode == 0o644)
        #expect(scratch.files == ["pingmesh"], "no temporary file left behind")
        #expect(exits.calls == 0)
        #expect(server.reports.map(\.agent) == ["agent-1"])
        #expect(server.reports.first?.report == report)
        // Not taken for good: a corrected offer installs.
        #expect(await upgrader.handle(Self.offer("\(url)/binary")) == .installed)
    }

    @Test(
        "download failures leave the binary alone: 404, above the size cap, nothing listening",
        arguments: ["missing", "too-large", "refused"])
    func downloadFailures(_ failure: String) async throws {
        let server = TestReleaseServer(binary: Self.newBinary)
        let (url, running) = try await server.start()
        defer { running.cancel() }
        let scratch = try Scratch()
        defer { scratch.remove() }
        let exits = ExitCounter()
        // A short deadline where a refused connection is retried until it passes; a generous one
        // where the server answers, so a loaded machine cannot turn a 404 into a timeout.
        let upgrader = SelfUpgrader(
            installPath: scratch.binary, publicKey: Self.releaseKey.publicKey, maximumBytes: failure == "too-large" ? 1024 : 1 << 20,
            downloadTimeout: failure == "refused" ? .seconds(2) : .seconds(20)
        ) { exits.exit() }
        let source: String
        switch failure {
        case "missing": source = "\(url)/nothing-here"
        case "too-large": source = "\(url)/binary"
        default: source = "\(try await TestCollector.deadURL(host: "127.0.0.1"))/binary"
        }
        let outcome = await upgrader.handle(Self.offer(source))
        guard case .failed(let report) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        switch failure {
        case "missing": #expect(report.error.contains("HTTP 404"), "\(report.error)")
        case "too-large": #expect(report.error.contains("above 1024 bytes"), "\(report.error)")
        default: #expect(report.error.hasPrefix("download failed"), "\(report.error)")
        }
        #expect(scratch.contents == Self.oldBinary)
        #expect(scratch.files == ["pingmesh"])
        #expect(exits.calls == 0)
    }

    @Test(
        "an unsigned offer, one signed by another key, or a signature moved to another version: refused before any download, binary untouched",
        arguments: ["unsigned", "other key", "other version"])
    func signatureRefused(_ case_: String) async throws {
        let server = TestReleaseServer(binary: Self.newBinary)
        let (url, running) = try await server.start()
        defer { running.cancel() }
        let scratch = try Scratch()
        defer { scratch.remove() }
        let exits = ExitCounter()
        let upgrader = SelfUpgrader(installPath: scratch.binary, publicKey: Self.releaseKey.publicKey) { exits.exit() }
        var offer: UpgradeOffer
        switch case_ {
        case "unsigned": offer = Self.offer("\(url)/binary", key: nil)
        case "other key": offer = Self.offer("\(url)/binary", key: Curve25519.Signing.PrivateKey())
        default:
            offer = Self.offer("\(url)/binary")
            offer.version = "3.0"
        }
        let outcome = await upgrader.handle(offer)
        guard case .failed(let report) = outcome else {
            Issue.record("expected a refusal, got \(outcome)")
            return
        }
        #expect(report.error.hasPrefix("signature refused"), "\(report.error)")
        #expect(report.error.contains(case_ == "unsigned" ? "carries no signature" : "not signed by the key"), "\(report.error)")
        #expect(scratch.contents == Self.oldBinary && scratch.mode == 0o644)
        #expect(scratch.files == ["pingmesh"])
        #expect(exits.calls == 0)
        // The same binary, signed by the release key, installs.
        #expect(await upgrader.handle(Self.offer("\(url)/binary")) == .installed)
    }

    @Test("signatures bind the version and the digest; key files say which half they hold")
    func signatureAndKeyFiles() throws {
        let key = Curve25519.Signing.PrivateKey()
        let digest = Self.hex(Self.newBinary)
        let signature = try UpgradeSignature.sign(version: "2.0", sha256: digest, with: key)
        #expect(UpgradeSignature.verify(signature: signature, version: "2.0", sha256: digest.uppercased(), key: key.publicKey))
        #expect(!UpgradeSignature.verify(signature: signature, version: "2.1", sha256: digest, key: key.publicKey))
        #expect(!UpgradeSignature.verify(signature: signature, version: "2.0", sha256: Self.hex(Self.oldBinary), key: key.publicKey))
        #expect(!UpgradeSignature.verify(signature: "not base64!", version: "2.0", sha256: digest, key: key.publicKey))

        let scratch = try Scratch()
        defer { scratch.remove() }
        let (privatePath, publicPath) = ("\(scratch.directory)/release", "\(scratch.directory)/release.pub")
        try UpgradeKeyFile.text(of: key).write(toFile: privatePath, atomically: true, encoding: .utf8)
        try UpgradeKeyFile.text(of: key.publicKey).write(toFile: publicPath, atomically: true, encoding: .utf8)
        #expect(try UpgradeKeyFile.readPublicKey(path: publicPath).rawRepresentation == key.publicKey.rawRepresentation)
        #expect(try UpgradeKeyFile.readPrivateKey(path: privatePath).rawRepresentation == key.rawRepresentation)
        #expect { try UpgradeKeyFile.readPublicKey(path: privatePath) } throws: { "\($0)".contains("is not a public key") }
        #expect { try UpgradeKeyFile.readPrivateKey(path: publicPath) } throws: { "\($0)".contains("is not a private key") }
        #expect { try UpgradeKeyFile.readPublicKey(path: "\(scratch.directory)/none") } throws: { "\($0)".contains("cannot be read") }
        #expect(try UpgradeSignature.sha256(ofFile: scratch.binary) == Self.hex(Self.oldBinary))
    }
}
