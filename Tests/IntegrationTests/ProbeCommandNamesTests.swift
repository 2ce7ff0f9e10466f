import Foundation
import PingmeshTestSupport
import Testing

/// `pingmesh probe` with a host name: its lookup time is reported as a phase of its own, and a
/// name without an address is an `unresolved` result, as the agent records it.
@Suite("pingmesh probe with host names", .requires(.pingmeshBinary))
struct ProbeCommandNamesTests {
    @Test("a name without an address: one unresolved result, the reason, the lookup's time, exit 1")
    func unresolved() async throws {
        let binary = try PingmeshBinary.require()
        let text = try await Command.run(binary, ["probe", "tcp", "nosuch.invalid:9301", "--count", "3"])
        #expect(text.status == 1, "\(text.stderr)")
        #expect(text.stdout.contains("tcp nosuch.invalid (no address) seq=1 unresolved (cannot resolve nosuch.invalid: "), "\(text.stdout)")
        #expect(text.stdout.contains("1 probes, 0 answered, 1 failed (100% loss)"), "\(text.stdout)")
        #expect(text.stdout.contains("\nresolve ") && text.stdout.contains(" ms (nosuch.invalid, failed)"), "\(text.stdout)")

        let json = try await Command.run(binary, ["probe", "tcp", "nosuch.invalid:9301", "--json"])
        #expect(json.status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(((document["probes"] as? [[String: Any]])?.first?["result"] as? String) == "unresolved")
        #expect(document["address"] == nil && document["resolve_seconds"] is Double)
    }

    @Test("a name that resolves: its lookup time in the summary and the JSON; a literal address has none")
    func resolveTime() async throws {
        let binary = try PingmeshBinary.require()
        let port = try await TCPResponderHelper.freePort(host: "127.0.0.1")
        let named = try await Command.run(binary, ["probe", "tcp", "localhost:\(port)", "--count", "1"])
        #expect(named.stdout.contains(" ms (localhost)"), "\(named.stdout)")
        let json = try await Command.run(binary, ["probe", "tcp", "localhost:\(port)", "--count", "1", "--json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(document["resolve_seconds"] is Double)
        let literal = try await Command.run(binary, ["probe", "tcp", "127.0.0.1:\(port)", "--count", "1", "--json"])
        let plain = try #require(try JSONSerialization.jsonObject(with: Data(literal.stdout.utf8)) as? [String: Any])
        #expect(plain["resolve_seconds"] == nil)
    }
}
