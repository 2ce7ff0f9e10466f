import NIOCore
import NIOPosix
import PingmeshModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// TCP connect probe (Pingmesh's TCP ping): SYN/SYN-ACK round trip to a resolved address, a new
/// connection and source port for every probe, closed with an RST; optionally an echoed payload
/// to catch size-dependent drops.
public struct TCPProber: Prober {
    public let kind = ProbeKind.tcp
    private let group: any EventLoopGroup

    public init(group: any EventLoopGroup) {
        self.group = group
    }

    public func probe(_ request: ProbeRequest) async -> ProbeOutcome {
        // The future never fails; the catch is for the type system.
        (try? await start(request).get()) ?? ProbeOutcome(result: .error, detail: "probe future failed")
    }

    /// Starts a probe on one of the group's event loops; the future always succeeds.
    public func start(_ request: ProbeRequest) -> EventLoopFuture<ProbeOutcome> {
        let loop = group.next()
        let promise = loop.makePromise(of: ProbeOutcome.self)
        ProbeConnection.open(request, on: loop, promise: promise) { pipeline in
            try pipeline.addHandler(TCPProbeHandler(request: request, promise: promise))
        }
        return promise.futureResult
    }
}
