import Foundation
import NIOCore
import PingmeshModel
import Synchronization

/// TCP SYN and UDP traceroute from fixed 5-tuples, without privileges: ICMP errors come back
/// through the socket error queue (IP_RECVERR / IPV6_RECVERR, Linux), not a raw socket. Each
/// source port is one run and, since switches hash the 5-tuple, one ECMP path; runs go one after
/// another, and within a run one probe at a time, so a router's ICMP rate limit is not spent on
/// us and every answer belongs to the one probe in flight.
public enum Traceroute {
    /// Runs every path of `request`. Throws `TracerouteRequestError` for a bad request and
    /// `TracerouteError` when the probes cannot be sent (no error queue, port in use); unanswered
    /// probes are results, not errors.
    public static func run(_ request: TracerouteRequest) async throws -> TracerouteResult {
        try request.validate()
        let target: SocketAddress
        let sourceAddress: SocketAddress?
        do {
            target = try SocketAddress(ipAddress: request.target, port: request.port)
            sourceAddress = try request.sourceAddress.map { try SocketAddress(ipAddress: $0, port: 0) }
        } catch {
            throw TracerouteError("cannot use the addresses: \(error)")
        }
        let tracer = PathTracer(
            maxHops: request.maxHops, probesPerHop: request.probesPerHop, timeout: .milliseconds(request.timeoutMilliseconds))
        let ports: [Int?] = request.sourcePorts.isEmpty ? [nil] : request.sourcePorts.map { $0 }
        let cancelled = CancellationFlag()
        let paths = try await withTaskCancellationHandler {
            // Blocking socket calls and waits of up to a second each: a thread of their own, not
            // the cooperative pool.
            try await BlockingThread.run(name: "pingmesh-traceroute") {
                try ports.map { port in
                    let prober = try makeProber(request.protocol, target: target, sourceAddress: sourceAddress, sourcePort: port)
                    return try tracer.trace(with: prober, isCancelled: cancelled.isSet)
                }
            }
        } onCancel: {
            cancelled.set()
        }
        return TracerouteResult(request: request, paths: paths)
    }

    static func makeProber(
        _ transport: TracerouteRequest.TransportProtocol, target: SocketAddress, sourceAddress: SocketAddress?, sourcePort: Int?
    ) throws -> any HopProber {
        switch transport {
        case .tcp:
            return TCPHopProber(target: target, sourceAddress: sourceAddress, sourcePort: sourcePort)
        case .udp:
            // Bind only when something is fixed; otherwise connect picks the port (and keeps it).
            guard sourceAddress != nil || sourcePort != nil else { return try UDPHopProber(target: target, source: nil) }
            let any = target.protocol == .inet6 ? "::" : "0.0.0.0"
            let source = try SocketAddress(ipAddress: sourceAddress?.ipAddress ?? any, port: sourcePort ?? 0)
            return try UDPHopProber(target: target, source: source)
        }
    }
}

/// Set once from a cancellation handler, read between probes on the tracing thread.
final class CancellationFlag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .relaxed) }
    func isSet() -> Bool { value.load(ordering: .relaxed) }
}

/// Runs blocking work on a fresh thread and awaits its result.
enum BlockingThread {
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = name
            thread.start()
        }
    }
}
