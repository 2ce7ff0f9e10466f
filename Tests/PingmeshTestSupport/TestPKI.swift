import Foundation

/// A throwaway CA and server certificates for 127.0.0.1 and localhost, made with the openssl CLI
/// in a temporary directory: a leaf valid now, one that expired before the test began, and one
/// for localhost alone (NIOSSL accepts a certificate whose IP address matches the peer's whatever
/// name was asked for, so only a certificate without one can show a name mismatch).
/// `openssl ca` is used because it is the one OpenSSL 3.0 command that sets both dates freely.
public struct TestPKI: Sendable {
    public let directory: URL
    public var caFile: String { path("ca.pem") }
    public var leafCertificate: String { path("leaf.pem") }
    public var expiredCertificate: String { path("expired.pem") }
    public var localhostOnlyCertificate: String { path("localhost-only.pem") }
    public var leafKey: String { path("leaf.key") }
    /// The valid leaf's notAfter, to the second (certificates hold no finer time).
    public let leafNotAfter: Date

    /// Tests that make one carry `.requires(.tool(.openssl))`.
    public static func make() async throws -> TestPKI {
        let openssl = try Tool.openssl.path()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(configuration.utf8).write(to: directory.appendingPathComponent("ca.cnf"))
        try Data().write(to: directory.appendingPathComponent("index.txt"))
        try Data("01\n".utf8).write(to: directory.appendingPathComponent("serial"))

        let now = Date()
        let notAfter = Date(timeIntervalSince1970: (now.timeIntervalSince1970 + 30 * 86_400).rounded(.down))
        let pki = TestPKI(directory: directory, leafNotAfter: notAfter)
        let ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        try await pki.run(
            openssl,
            ["req", "-x509"] + ecKey + [
                "-keyout", pki.path("ca.key"), "-out", pki.caFile, "-days", "60", "-subj", "/CN=pingmesh test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        try await pki.run(
            openssl, ["req", "-new"] + ecKey + ["-keyout", pki.leafKey, "-out", pki.path("leaf.csr"), "-subj", "/CN=localhost"])
        try await pki.sign(openssl, out: pki.leafCertificate, from: now.addingTimeInterval(-86_400), to: notAfter)
        try await pki.sign(
            openssl, out: pki.expiredCertificate, from: now.addingTimeInterval(-60 * 86_400), to: now.addingTimeInterval(-30 * 86_400))
        try await pki.sign(
            openssl, out: pki.localhostOnlyCertificate, from: now.addingTimeInterval(-86_400), to: notAfter, extensions: "localhost_only")
        return pki
    }

    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func sign(_ openssl: String, out: String, from start: Date, to end: Date, extensions: String = "leaf") async throws {
        try await run(
            openssl,
            [
                "ca", "-batch", "-config", path("ca.cnf"), "-cert", caFile, "-keyfile", path("ca.key"), "-in", path("leaf.csr"),
                "-out", out, "-notext", "-extensions", extensions, "-startdate", Self.asn1Time(start), "-enddate", Self.asn1Time(end),
            ])
    }

    private func run(_ openssl: String, _ arguments: [String]) async throws {
        // openssl ca resolves the database and serial files against the working directory.
        let result = try await Command.run("/bin/sh", ["-c", "cd \"$0\" && exec \"$@\"", directory.path, openssl] + arguments)
        guard result.status == 0 else { throw PKIError(message: "openssl \(arguments.first ?? ""): \(result.stderr)") }
    }

    /// `YYYYMMDDHHMMSSZ`, the form `openssl ca -startdate/-enddate` reads.
    static func asn1Time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss'Z'"
        return formatter.string(from: date)
    }

    struct PKIError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    private static let configuration = """
        [ ca ]
        default_ca = test_ca
        [ test_ca ]
        database = index.txt
        new_certs_dir = .
        serial = serial
        default_md = sha256
        policy = any_name
        unique_subject = no
        [ any_name ]
        commonName = supplied
        [ leaf ]
        basicConstraints = CA:FALSE
        keyUsage = digitalSignature, keyEncipherment
        extendedKeyUsage = serverAuth
        subjectAltName = IP:127.0.0.1, DNS:localhost
        [ localhost_only ]
        basicConstraints = CA:FALSE
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:localhost

        """
}
