import Foundation
import NIOCore
import PingmeshModel
import Testing

@testable import PingmeshAgent

/// Resolution before the round: a name with no address is its own kind of target (recorded
/// `unresolved`, not dropped), and every name's lookup is timed; literal addresses take none.
@Suite("Target resolver")
struct TargetResolverTests {
    static func pinglist(_ yaml: String) throws -> Pinglist {
        try PinglistDecoder.decode(Data(yaml.utf8), file: "test.yaml").pinglist
    }

    @Test("a name without an address is unresolved, with the reason and the lookup's time; it is not skipped")
    func unresolvedName() async throws {
        let list = try Self.pinglist("groups: [{name: g, kind: tcp, targets: [{address: nosuch.invalid, port: 443}, '127.0.0.1:9301']}]\n")
        let resolved = await TargetResolver(supportedKinds: [.tcp]).resolve(list)
        #expect(resolved.skipped.isEmpty)
        #expect(resolved.targets.map(\.target.host) == ["127.0.0.1"])
        let unresolved = try #require(resolved.unresolved.first)
        #expect(resolved.unresolved.count == 1 && unresolved.target.host == "nosuch.invalid")
        #expect(unresolved.unresolvedReason?.hasPrefix("cannot resolve nosuch.invalid: ") == true, "\(unresolved.unresolvedReason ?? "")")
        #expect(unresolved.resolveTime != nil)
        #expect(unresolved.unresolvedOutcome?.result == .unresolved)
        #expect(resolved.scheduled.map(\.id) == ["tcp://127.0.0.1:9301", "tcp://nosuch.invalid:443"])
    }

    @Test("a name's lookup is timed; a literal address takes none, and its probe request carries none")
    func resolveTime() async throws {
        let list = try Self.pinglist("groups: [{name: g, kind: tcp, targets: [{address: localhost, port: 9301}, '127.0.0.1:9301']}]\n")
        let resolved = await TargetResolver(supportedKinds: [.tcp]).resolve(list)
        let named = try #require(resolved.targets.first { $0.target.host == "localhost" })
        let literal = try #require(resolved.targets.first { $0.target.host == "127.0.0.1" })
        let time = try #require(named.resolveTime)
        #expect(time > .zero && time < .seconds(5))
        #expect(named.request(sourceAddress: nil).resolveTime == time)
        #expect(literal.resolveTime == nil && literal.request(sourceAddress: nil).resolveTime == nil)
        #expect(resolved.unresolved.isEmpty)
    }

    @Test("a kind this agent has no prober for is skipped, not unresolved")
    func unsupportedKind() async throws {
        let list = try Self.pinglist("groups: [{name: g, kind: udp, targets: [{address: nosuch.invalid, port: 9302}]}]\n")
        let resolved = await TargetResolver(supportedKinds: [.tcp]).resolve(list)
        #expect(resolved.unresolved.isEmpty && resolved.targets.isEmpty)
        #expect(resolved.skipped.map(\.reason) == ["no udp prober in this agent yet"])
    }
}
