import NIOCore
import PingmeshModel
import Testing

@testable import PingmeshAgent

@Suite("Source-port rotation")
struct SourcePortRotationTests {
    let list = Fixtures.pinglist(count: 6)

    @Test("each target takes every port in turn, from its own starting port, keeping the source address")
    func rotation() throws {
        var rotation = SourcePortRotation()
        let ports = Array(33000...33003)
        rotation.update(ports: ports, targets: Set(list.targets.map(\.id)))
        var starts = Set<Int>()
        for target in list.targets {
            let seen = (0..<8).map { _ in rotation.next(for: target, source: nil)?.port ?? -1 }
            #expect(Array(seen.prefix(4)).sorted() == ports, "\(target.id): \(seen)")
            #expect(Array(seen.prefix(4)) == Array(seen.suffix(4)), "the same cycle again")
            starts.insert(seen[0])
        }
        #expect(starts.count > 1, "targets all start at one port: a round would load one path")
        let bound = rotation.next(for: list.targets[0], source: try SocketAddress(ipAddress: "127.0.0.9", port: 0))
        #expect(bound?.ipAddress == "127.0.0.9" && ports.contains(bound?.port ?? -1))
    }

    @Test("without ports, or for ICMP, the source stays as configured (the kernel picks a fresh port)")
    func untouched() throws {
        var rotation = SourcePortRotation()
        #expect(rotation.next(for: list.targets[0], source: nil) == nil)
        rotation.update(ports: [33000], targets: [])
        let target = ProbeTarget(name: "h", group: "g", kind: .icmp, host: "127.3.0.1", port: 0, interval: .seconds(10), timeout: .seconds(1), delay: .milliseconds(10))
        let icmp = ScheduledTarget(target: target, address: try SocketAddress(ipAddress: "127.3.0.1", port: 0))
        #expect(rotation.next(for: icmp, source: nil) == nil)
    }
}
