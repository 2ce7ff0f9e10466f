import NIOCore
import PingmeshAgent
import PingmeshModel

enum Fixtures {
    /// `count` TCP targets on 127.3.x.y, resolved.
    static func pinglist(
        count: Int, version: String = "v1", interval: Duration = .seconds(10), concurrency: Int = 100,
        firstHost: Int = 1, targetInterval: Duration? = nil
    ) -> ResolvedPinglist {
        let targets = (0..<count).map { index -> ScheduledTarget in
            let host = "127.3.\((firstHost + index) / 250).\((firstHost + index) % 250 + 1)"
            let target = ProbeTarget(
                name: host, group: "g", kind: .tcp, host: host, port: 9301, interval: targetInterval ?? interval,
                timeout: .seconds(1), delay: .milliseconds(10)
            )
            return ScheduledTarget(target: target, address: try! SocketAddress(ipAddress: host, port: 9301))
        }
        let settings = ProbeSettings(interval: interval, timeout: .seconds(1), concurrency: concurrency)
        return ResolvedPinglist(pinglist: Pinglist(version: version, settings: settings, targets: targets.map(\.target)), targets: targets)
    }
}
