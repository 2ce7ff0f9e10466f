import NIOCore
import NIOPosix
import PingmeshModel

/// NTP probes: one SNTP v4 client request (RFC 4330) to the target server. The RTT is the
/// network round trip without the server's holding time, and the outcome carries the server's
/// clock offset from ours (`ProbeOutcome.clockOffset`). A reply a client must not use (kiss-o'-
/// death, unsynchronised server, a foreign origin timestamp) is an `error` naming why.
public struct NTPProber: Prober {
    public let kind = ProbeKind.ntp
    private let group: any EventLoopGroup

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    public func probe(_ request: ProbeRequest) async -> ProbeOutcome {
        let cookie = UInt64.random(in: 1...UInt64.max)
        let (ending, sourcePort) = await DatagramExchange(group: group).run(
            NTPPacket.clientRequest(cookie: cookie).encoded, to: request.address, request: request
        ) { bytes -> DatagramExchange.Verdict<NTPPacket?> in
            // Only the server can answer a connected socket: whatever it sends is its reply.
            .accept(NTPPacket(decoding: bytes))
        }
        var outcome = Self.outcome(of: ending, cookie: cookie, request: request)
        outcome.sourcePort = sourcePort
        return outcome
    }

    private static func outcome(of ending: DatagramExchange.Ending<NTPPacket?>, cookie: UInt64, request: ProbeRequest) -> ProbeOutcome {
        switch ending {
        case .replied(.none, let timing):
            return ProbeOutcome(
                result: .error, rtt: timing.rtt, detail: "malformed reply: shorter than the \(NTPPacket.size)-byte NTP header")
        case .replied(.some(let reply), let timing):
            let received = timing.sentWallClock + timing.rtt
            switch NTPExchangeCheck.measure(reply, cookie: cookie, sent: timing.sentWallClock, received: received) {
            case .failure(let rejection):
                return ProbeOutcome(result: .error, rtt: timing.rtt, detail: rejection.description)
            case .success(let measurement):
                var outcome = ProbeOutcome.answered(rtt: measurement.roundTrip, delay: request.delay)
                outcome.clockOffset = measurement.offset
                outcome.detail = "stratum \(reply.stratum), reference \(reply.referenceText)"
                return outcome
            }
        case .timedOut:
            return ProbeOutcome(result: .timeout, detail: "no reply within \(request.timeout)")
        case .failed(let result, let detail):
            return ProbeOutcome(result: result, detail: detail)
        }
    }
}
