import Foundation
import NIOCore
import PingmeshModel
import Synchronization
import Testing

@testable import PingmeshAgent

@Suite("Host names resolved again")
struct NameRefreshTests {
    static func pinglist(_ yaml: String) throws -> Pinglist {
        try PinglistDecoder.decode(Data(yaml.utf8), file: "test.yaml").pinglist
    }

    /// A resolver whose answer for `svc.example` the test sets; calls are counted.
    final class FakeResolver: Sendable {
        let answer = Mutex<String?>("10.0.0.1")
        let calls = Mutex(0)

        func resolve(_ pinglist: Pinglist) -> ResolvedPinglist {
            calls.withLock { $0 += 1 }
            let address = answer.withLock { $0 }
            var targets: [ScheduledTarget] = []
            var unresolved: [ScheduledTarget] = []
            for target in pinglist.targets {
                let host = IPAddressFamily.of(literal: target.host) != nil ? target.host : address
                if let host, let socket = try? SocketAddress(ipAddress: host, port: target.port) {
                    targets.append(ScheduledTarget(target: target, address: socket))
                } else {
                    unresolved.append(ScheduledTarget(unresolved: target, reason: "cannot resolve \(target.host)", resolveTime: .milliseconds(1)))
                }
            }
            return ResolvedPinglist(pinglist: pinglist, targets: targets, unresolved: unresolved)
        }
    }

    /// Runs a refresh every 20 ms and returns what it applied after `body` has changed answers.
    static func applied(for pinglist: Pinglist, resolver: FakeResolver, _ body: () async throws -> Void) async throws -> [ResolvedPinglist] {
        let refresh = NameRefresh(interval: .milliseconds(20))
        refresh.loaded(resolver.resolve(pinglist))
        let applied = Mutex<[ResolvedPinglist]>([])
        let task = Task { await refresh.run(resolve: { resolver.resolve($0) }, apply: { list in applied.withLock { $0.append(list) } }) }
        try await body()
        task.cancel()
        await task.value
        return applied.withLock { $0 }
    }

    static func waitForCalls(_ resolver: FakeResolver, atLeast count: Int) async throws {
        for _ in 0..<500 where resolver.calls.withLock({ $0 }) < count { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test("after a failed refresh a name that had an address keeps it; one that never had one stays unresolved")
    func keepingLastAddresses() throws {
        let list = try Self.pinglist(
            "groups: [{name: g, kind: tcp, targets: [{address: svc.example, port: 443}, {address: new.example, port: 443}]}]\n")
        let (svc, new) = (list.targets[0], list.targets[1])
        let address = try SocketAddress(ipAddress: "10.0.0.1", port: 443)
        let before = ResolvedPinglist(
            pinglist: list, targets: [ScheduledTarget(target: svc, address: address, resolveTime: .milliseconds(2))],
            unresolved: [ScheduledTarget(unresolved: new, reason: "cannot resolve new.example")])
        let failed = ResolvedPinglist(
            pinglist: list, targets: [],
            unresolved: [
                ScheduledTarget(unresolved: svc, reason: "cannot resolve svc.example"),
                ScheduledTarget(unresolved: new, reason: "cannot resolve new.example"),
            ])
        let kept = NameRefresh.keepingLastAddresses(failed, from: before)
        #expect(kept.targets.map(\.id) == [svc.id] && kept.targets.first?.address == address)
        #expect(kept.unresolved.map(\.id) == [new.id])
        #expect(NameRefresh.addresses(kept) == NameRefresh.addresses(before), "nothing to hand the scheduler")
    }

    @Test("a name whose address moves is handed to the scheduler once, with the new address; unchanged answers hand nothing")
    func moved() async throws {
        let list = try Self.pinglist("groups: [{name: g, kind: tcp, targets: [{address: svc.example, port: 443}, {address: 10.9.9.9, port: 80}]}]\n")
        let resolver = FakeResolver()
        let applied = try await Self.applied(for: list, resolver: resolver) {
            try await Self.waitForCalls(resolver, atLeast: 4)
            resolver.answer.withLock { $0 = "10.0.0.2" }
            let seen = resolver.calls.withLock { $0 }
            try await Self.waitForCalls(resolver, atLeast: seen + 4)
        }
        #expect(applied.count == 1)
        let byHost = Dictionary(uniqueKeysWithValues: (applied.first?.targets ?? []).map { ($0.target.host, "\($0.address)") })
        #expect(byHost["svc.example"]?.contains("10.0.0.2:443") == true && byHost["10.9.9.9"]?.contains("10.9.9.9:80") == true, "\(byHost)")
    }

    @Test("a name that stops resolving keeps its last address; a list of literal addresses is never resolved again")
    func failuresAndLiterals() async throws {
        let named = try Self.pinglist("groups: [{name: g, kind: tcp, targets: [{address: svc.example, port: 443}]}]\n")
        let resolver = FakeResolver()
        let applied = try await Self.applied(for: named, resolver: resolver) {
            resolver.answer.withLock { $0 = nil }
            try await Self.waitForCalls(resolver, atLeast: 5)
        }
        #expect(applied.isEmpty, "a failed resolution kept the last address, so nothing changed")

        let literal = try Self.pinglist("groups: [{name: g, kind: tcp, targets: [{address: 10.9.9.9, port: 80}]}]\n")
        let counting = FakeResolver()
        _ = try await Self.applied(for: literal, resolver: counting) { try await Task.sleep(for: .milliseconds(200)) }
        #expect(counting.calls.withLock { $0 } == 1, "only the load resolved it")
    }
}
