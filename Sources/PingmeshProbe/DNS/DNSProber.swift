import NIOCore
import NIOPosix
import PingmeshModel

/// DNS probes: one query to the target server over UDP or TCP, its reply checked by
/// `DNSReplyCheck`. The RTT is the query's round trip (for TCP, connect to the reply's end,
/// with the handshake as `connectRTT`). Each query has a random id and, over UDP, a fresh
/// source port, so a reply cannot be mistaken for another query's.
public struct DNSProber: Prober {
    public let kind = ProbeKind.dns
    private let group: any EventLoopGroup

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    public func probe(_ request: ProbeRequest) async -> ProbeOutcome {
        guard let options = request.dns else {
            return ProbeOutcome(result: .error, detail: "dns probe without dns options (query_name, query_type)")
        }
        let query = DNSMessage.query(id: UInt16.random(in: 0...UInt16.max), name: options.queryName, type: options.queryType.rawValue)
        let bytes: [UInt8]
        do {
            bytes = try query.encodedQuery()
        } catch {
            return ProbeOutcome(result: .error, detail: "query \(options.queryName): \(error)")
        }
        switch options.transport {
        case .udp: return await probeOverUDP(bytes, query: query, options: options, request: request)
        case .tcp: return await probeOverTCP(bytes, query: query, options: options, request: request)
        }
    }

    private func probeOverUDP(_ bytes: [UInt8], query: DNSMessage, options: DNSProbeOptions, request: ProbeRequest) async -> ProbeOutcome {
        let (ending, sourcePort) = await DatagramExchange(group: group).run(bytes, to: request.address, request: request) { reply in
            DNSReplyCheck.verdict(for: reply, query: query)
        }
        var outcome = Self.outcome(of: ending, query: query, options: options, request: request)
        outcome.sourcePort = sourcePort
        return outcome
    }

    private static func outcome(
        of ending: DatagramExchange.Ending<Result<DNSMessage, DNSWireError>>, query: DNSMessage, options: DNSProbeOptions,
        request: ProbeRequest
    ) -> ProbeOutcome {
        switch ending {
        case .replied(let reply, let timing):
            return DNSReplyCheck.outcome(for: reply, query: query, options: options, rtt: timing.rtt, delay: request.delay)
        case .timedOut(let ignored):
            let strays = ignored > 0 ? "; ignored \(ignored) datagrams with another id or question" : ""
            return ProbeOutcome(result: .timeout, detail: "no reply within \(request.timeout)\(strays)")
        case .failed(let result, let detail):
            return ProbeOutcome(result: result, detail: detail)
        }
    }

    private func probeOverTCP(_ bytes: [UInt8], query: DNSMessage, options: DNSProbeOptions, request: ProbeRequest) async -> ProbeOutcome {
        let loop = group.next()
        let promise = loop.makePromise(of: ProbeOutcome.self)
        let delay = request.delay
        ProbeConnection.open(request, on: loop, promise: promise) { pipeline in
            try pipeline.addHandler(
                DNSOverTCPHandler(query: bytes, request: request, promise: promise) { reply, rtt in
                    let decoded = Result { () throws(DNSWireError) in try DNSMessage(decoding: reply) }
                    return DNSReplyCheck.outcome(for: decoded, query: query, options: options, rtt: rtt, delay: delay)
                })
        }
        return (try? await promise.futureResult.get()) ?? ProbeOutcome(result: .error, detail: "probe future failed")
    }
}
