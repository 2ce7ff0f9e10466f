import Foundation
import NIOCore
import PingmeshModel
import PingmeshTestSupport
import Testing

@testable import PingmeshProbe

/// HTTPS probes against a real TLS server on loopback, with certificates the test makes: what
/// passes, and that each way of failing says which.
@Suite("HTTPS prober")
struct HTTPSProberTests {
    private func probe(
        _ server: any Channel, path: String = "/ok", tls: HTTPTLSOptions, hostName: String? = nil, timeout: Duration = .seconds(5)
    ) async -> ProbeOutcome {
        var request = ProbeRequest(address: server.localAddress!, timeout: timeout, delay: .seconds(5))
        request.http = HTTPProbeOptions(path: path, tls: tls, hostName: hostName)
        return await HTTPProber().probe(request)
    }

    @Test("a certificate from the ca_file's CA passes: tls phase timed, expiry read to the second", .requires(.tool(.openssl)))
    func trustedViaCAFile() async throws {
        let pki = try await TestPKI.make()
        defer { pki.remove() }
        let server = try await TestHTTPServer.start(certificate: pki.leafCertificate, key: pki.leafKey)
        defer { server.close(promise: nil) }

        let outcome = await probe(server, tls: HTTPTLSOptions(caFile: pki.caFile))
        #expect(outcome.result == .ok, "\(outcome)")
        let phases = try #require(outcome.httpPhases)
        let (connect, tls, processing) = (try #require(phases.connect), try #require(phases.tls), try #require(phases.processing))
        #expect(tls > .zero && phases.status == 200 && phases.bodyBytes == "hello pingmesh".utf8.count)
        #expect(try #require(outcome.rtt) >= connect + tls + processing)
        let expiry = try #require(phases.certificateNotAfter)
        #expect(abs(expiry.timeIntervalSince(pki.leafNotAfter)) <= 1, "expiry \(expiry), certificate says \(pki.leafNotAfter)")
        #expect(phases.failure == nil)
    }

    @Test("a host name target sends it in SNI and checks it against the certificate's DNS name", .requires(.tool(.openssl)))
    func hostNameTarget() async throws {
        let pki = try await TestPKI.make()
        defer { pki.remove() }
        let server = try await TestHTTPServer.start(certificate: pki.leafCertificate, key: pki.leafKey)
        defer { server.close(promise: nil) }

        let outcome = await probe(server, tls: HTTPTLSOptions(caFile: pki.caFile), hostName: "localhost")
        #expect(outcome.result == .ok, "\(outcome)")
    }

    @Test("without the ca_file the private CA is not trusted, and the detail says so", .requires(.tool(.openssl)))
    func untrustedWithoutCAFile() async throws {
        let pki = try await TestPKI.make()
        defer { pki.remove() }
        let server = try await TestHTTPServer.start(certificate: pki.leafCertificate, key: pki.leafKey)
        defer { server.close(promise: nil) }

        let outcome = await probe(server, tls: HTTPTLSOptions())
        #expect(outcome.result == .error, "\(outcome)")
        #expect(outcome.httpPhases?.failure == .certificateUntrusted, "\(outcome)")
        #expect(outcome.detail?.contains("not trusted") == true, "\(outcome)")
        #expect(outcome.httpPhases?.tls == nil && outcome.httpPhases?.status == nil, "no request after a failed handshake")
    }

    @Test("insecure_skip_verify passes an untrusted certificate, and still reads its expiry", .requires(.tool(.openssl)))
    func insecureSkipVerify() async throws {
        let pki = try await TestPKI.make()
        defer { pki.remove() }
        let server = try await TestHTTPServer.start(certificate: pki.leafCertificate, key: pki.leafKey)
        defer { server.close(promise: nil) }

        let outcome = await probe(server, tls: HTTPTLSOptions(insecureSkipVerify: true, serverName: "wrong.example"))
        #expect(outcome.result == .ok, "\(outcome)")
        let expiry = try #require(outcome.httpPhases?.certificateNotAfter)
        #expect(abs(expiry.timeIntervalSince(pki.leafNotAfter)) <= 1)
    }

    @Test("a trusted certificate for another name is a hostname mismatch naming the name asked for", .requires(.tool(.openssl)))
    func hostnameMismatch() async throws {
        let pki = try await TestPKI.make()
        defer { pki.remove() }
        let server = try await TestHTTPServer.start(certificate: pki.localhostOnlyCertificate, key: pki.leafKey)
        defer { server.close(promise: nil) }

        let outcome = await probe(server, tls: HTTPTLSOptions(caFile: pki.caFile, serverName: "wrong.example"))
        #expect(outcome.result == .error && outcome.httpPhases?.failure == .hostnameMismatch, "\(outcome)")
        #expect(outcome.detail?.contains("not valid for wrong.example") == true, "\(outcome)")

        let byAddress = await probe(server, tls: HTTPTLSOptions(caFile: pki.caFile))
        #expect(byAddress.httpPhases?.failure == .hostnameMismatch, "no IP address in the certificate: \(byAddress)")
        #expect(byAddress.detail?.contains("not valid for the target's address") == true, "\(byAddress)")
    }

    @Test("an expired leaf from a trusted CA is reported as expired, with its date", .requires(.tool(.openssl)))
    func expiredCertificate() async throws {
        let pki = try await TestPKI.make()
        defer { pki.remove() }
        let server = try await TestHTTPServer.start(certificate: pki.expiredCertificate, key: pki.leafKey)
        defer { server.close(promise: nil) }

        let outcome = await probe(server, tls: HTTPTLSOptions(caFile: pki.caFile))
        #expect(outcome.result == .error && outcome.httpPhases?.failure == .certificateExpired, "\(outcome)")
        #expect(outcome.detail?.contains("certificate expired at") == true, "\(outcome)")
        let expiry = try #require(outcome.httpPhases?.certificateNotAfter)
        #expect(expiry < Date(), "the expired certificate's own date is kept for the metric")
    }

    @Test("TLS to a server that speaks plain HTTP is a handshake failure")
    func handshakeFailure() async throws {
        let server = try await TestHTTPServer.start()
        defer { server.close(promise: nil) }

        let outcome = await probe(server, tls: HTTPTLSOptions(insecureSkipVerify: true))
        #expect(outcome.result == .error && outcome.httpPhases?.failure == .handshakeFailed, "\(outcome)")
        #expect(outcome.detail?.hasPrefix("tls: handshake failed") == true, "\(outcome)")
    }

    @Test("a closed port is refused; a listener that never answers the handshake is a timeout naming it")
    func refusedAndTimeout() async throws {
        let closed = try await TestHTTPServer.start()
        let address = closed.localAddress!
        try await closed.close()
        var request = ProbeRequest(address: address, timeout: .seconds(2))
        request.http = HTTPProbeOptions(tls: HTTPTLSOptions(insecureSkipVerify: true))
        #expect(await HTTPProber().probe(request).result == .refused)

        let silent = try await TestHTTPServer.silent()
        defer { silent.close(promise: nil) }
        let outcome = await probe(silent, tls: HTTPTLSOptions(insecureSkipVerify: true), timeout: .milliseconds(300))
        #expect(outcome.result == .timeout && outcome.detail?.contains("no tls handshake") == true, "\(outcome)")
        #expect(outcome.httpPhases?.connect != nil, "the TCP handshake was timed before the silence")
    }

    @Test("a ca_file that is not there is an error naming the field and the path, without a connection")
    func missingCAFile() async throws {
        let server = try await TestHTTPServer.start()
        defer { server.close(promise: nil) }
        let outcome = await probe(server, tls: HTTPTLSOptions(caFile: "/nonexistent/ca.pem"))
        #expect(
            outcome.result == .error && outcome.detail?.contains("tls_config.ca_file: cannot load '/nonexistent/ca.pem'") == true,
            "\(outcome)")
    }
}
