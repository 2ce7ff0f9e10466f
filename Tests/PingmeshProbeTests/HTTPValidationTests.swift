import NIOCore
import NIOHTTP1
import PingmeshModel
import Testing

@testable import PingmeshProbe

/// What an HTTP probe sends (method, headers, body) and how it judges the answer (status,
/// body patterns, body size), against a plain HTTP server on loopback.
@Suite("HTTP validation")
struct HTTPValidationTests {
    private func probe(_ server: any Channel, _ options: HTTPProbeOptions) async -> ProbeOutcome {
        var request = ProbeRequest(address: server.localAddress!, timeout: .seconds(5), delay: .seconds(5))
        request.http = options
        return await HTTPProber().probe(request)
    }

    @Test("a status outside valid_status_codes fails naming both; listing it makes it pass")
    func statusCodes() async throws {
        let server = try await TestHTTPServer.start()
        defer { server.close(promise: nil) }

        let failed = await probe(server, HTTPProbeOptions(path: "/status/503"))
        #expect(failed.result == .error && failed.detail == "status 503 not in [200-299]", "\(failed)")
        #expect(failed.httpPhases?.failure == .statusNotAccepted && failed.httpPhases?.status == 503)

        let redirect = await probe(server, HTTPProbeOptions(path: "/status/302"))
        #expect(redirect.httpPhases?.failure == .statusNotAccepted, "a redirect is not followed, and not a 2xx")

        let accepted = await probe(server, HTTPProbeOptions(path: "/status/503", validStatusCodes: [HTTPStatusRange(503, 503)]))
        #expect(accepted.result == .ok, "\(accepted)")
    }

    @Test("fail_if_body_matches_regexp fails on a match; fail_if_body_not_matches_regexp fails without one")
    func bodyPatterns() async throws {
        let server = try await TestHTTPServer.start()
        defer { server.close(promise: nil) }

        let matched = await probe(server, HTTPProbeOptions(path: "/error-page", failIfBodyMatchesRegexp: ["(?i)ERROR"]))
        #expect(matched.result == .error && matched.detail == "body matched '(?i)ERROR'", "\(matched)")
        #expect(matched.httpPhases?.failure == .bodyMatched)

        let clean = await probe(server, HTTPProbeOptions(path: "/ok", failIfBodyMatchesRegexp: ["error"]))
        #expect(clean.result == .ok, "\(clean)")

        let found = await probe(server, HTTPProbeOptions(path: "/ok", failIfBodyNotMatchesRegexp: ["^hello \\w+$"]))
        #expect(found.result == .ok, "\(found)")

        let missing = await probe(server, HTTPProbeOptions(path: "/ok", failIfBodyNotMatchesRegexp: ["goodbye"]))
        #expect(missing.result == .error && missing.detail == "body did not match 'goodbye'", "\(missing)")
        #expect(missing.httpPhases?.failure == .bodyNotMatched)
    }

    @Test("POST sends the body and headers (the server echoes them); HEAD reads no body")
    func methodsHeadersAndBody() async throws {
        let server = try await TestHTTPServer.start()
        defer { server.close(promise: nil) }

        let post = await probe(
            server,
            HTTPProbeOptions(
                method: "POST", path: "/echo", headers: ["X-Probe": "mesh-1"], body: "ping-body",
                failIfBodyNotMatchesRegexp: ["^POST mesh-1 ping-body$"]))
        #expect(post.result == .ok, "\(post)")
        #expect(post.httpPhases?.bodyBytes == "POST mesh-1 ping-body".utf8.count)

        let put = await probe(server, HTTPProbeOptions(method: "PUT", path: "/echo", body: "x", failIfBodyNotMatchesRegexp: ["^PUT - x$"]))
        #expect(put.result == .ok, "\(put)")

        let head = await probe(server, HTTPProbeOptions(method: "HEAD", path: "/echo"))
        #expect(head.result == .ok && head.httpPhases?.status == 200 && head.httpPhases?.bodyBytes == 0, "\(head)")
    }

    @Test("a body above body_size_limit fails without being read to the end")
    func oversizedBody() async throws {
        let server = try await TestHTTPServer.start()
        defer { server.close(promise: nil) }

        let limit = 64 * 1024
        let outcome = await probe(server, HTTPProbeOptions(path: "/big", failIfBodyMatchesRegexp: ["x"], bodySizeLimit: limit))
        #expect(outcome.result == .error && outcome.detail == "body above the limit of 65536 bytes", "\(outcome)")
        #expect(outcome.httpPhases?.failure == .bodyTooLarge)
        let read = try #require(outcome.httpPhases?.bodyBytes)
        #expect(read > limit && read < TestHTTPServer.bigBodyBytes, "read \(read) bytes of \(TestHTTPServer.bigBodyBytes)")

        let withinDefault = await probe(server, HTTPProbeOptions(path: "/big", bodySizeLimit: TestHTTPServer.bigBodyBytes))
        #expect(withinDefault.result == .ok && withinDefault.httpPhases?.bodyBytes == TestHTTPServer.bigBodyBytes, "\(withinDefault)")
    }

    @Test("a silent server is a timeout naming the response it waited for")
    func timeout() async throws {
        let server = try await TestHTTPServer.start()
        defer { server.close(promise: nil) }
        var request = ProbeRequest(address: server.localAddress!, timeout: .milliseconds(300))
        request.http = HTTPProbeOptions(path: "/silent")
        let outcome = await HTTPProber().probe(request)
        #expect(outcome.result == .timeout && outcome.detail?.contains("no response") == true, "\(outcome)")
    }

    @Test("the Host header is the target's name, without the scheme's default port; an operator's Host wins")
    func hostHeader() throws {
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 443)
        var request = ProbeRequest(address: address)
        request.http = HTTPProbeOptions(tls: HTTPTLSOptions(), hostName: "web.example")
        #expect(HTTPRequestPlan(request).head.headers["Host"] == ["web.example"])

        request.http = HTTPProbeOptions()
        #expect(HTTPRequestPlan(request).head.headers["Host"] == ["127.0.0.1:443"], "port 443 is not plain HTTP's default")

        request.http = HTTPProbeOptions(headers: ["host": "vhost.example"])
        #expect(HTTPRequestPlan(request).head.headers["Host"] == ["vhost.example"])

        let v6 = ProbeRequest(address: try SocketAddress(ipAddress: "::1", port: 9300), payloadBytes: 100)
        let plan = HTTPRequestPlan(v6)
        #expect(plan.head.headers["Host"] == ["[::1]:9300"] && plan.head.uri == "/ping?size=100" && plan.head.method == .GET)
    }
}
