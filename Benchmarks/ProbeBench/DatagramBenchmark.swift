import Foundation
import NIOCore
import PingmeshModel
import PingmeshProbe
import Synchronization

/// `pingmesh-bench datagram --kind udp|icmp --target IP[:PORT] [--duration S] [--concurrency N]`
///
/// The UDP and ICMP probers' figures, for comparison with `Benchmarks/raw/raw_datagram.c`
/// in the same run (`Benchmarks/run-datagram-benchmarks.sh`): the agent's own prober keeps N
/// probes in flight to one loopback target for S seconds, through `probe(_:) async` as the
/// agent's scheduler does. Prints one JSON line with the fields raw_datagram prints: probes
/// answered, CPU seconds of the process, and the median and P99 of the RTT the prober reports
/// (ended by the kernel's receive timestamp), of the user-space RTT of the same packets, and of
/// their difference (what kernel timestamps keep out of the measurement).
struct DatagramBenchmark {
    var kind = ProbeKind.udp
    var target = ""
    var duration = 5.0
    var concurrency = 16

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { Self.usage() }
            switch flag {
            case "--kind":
                guard let parsed = ProbeKind(rawValue: value), parsed == .udp || parsed == .icmp else { Self.usage() }
                kind = parsed
            case "--target": target = value
            case "--duration":
                guard let number = Double(value), number > 0 else { Self.usage() }
                duration = number
            case "--concurrency":
                guard let number = Int(value), (1...4096).contains(number) else { Self.usage() }
                concurrency = number
            default: Self.usage()
            }
        }
        guard !target.isEmpty else { Self.usage() }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(
            Data("usage: pingmesh-bench datagram --kind udp|icmp --target IP[:PORT] [--duration S] [--concurrency N]\n".utf8))
        exit(2)
    }

    /// One worker's samples, nanoseconds.
    struct Samples: Sendable {
        var reported: [Int64] = []
        var userSpace: [Int64] = []
        var overhead: [Int64] = []
        var answered = 0
        var lost = 0
    }

    func run() async throws {
        let parts = target.split(separator: ":", maxSplits: 1)
        let host = String(parts[0])
        guard host.hasPrefix("127.") else {
            FileHandle.standardError.write(Data("datagram: the target must be in 127.0.0.0/8\n".utf8))
            exit(2)
        }
        let address = try SocketAddress(ipAddress: host, port: parts.count > 1 ? Int(parts[1]) ?? 0 : 0)
        let prober: any Prober
        var icmp: ICMPProber?
        var udp: UDPProber?
        var socketKind = "datagram"
        if kind == .udp {
            udp = UDPProber()
            prober = udp!
        } else {
            icmp = try ICMPProber.make()
            prober = icmp!
            socketKind = icmp!.modes.first { $0.hasPrefix("IPv4") }?.split(separator: " ").last.map(String.init) ?? "?"
        }
        let request = ProbeRequest(address: address, timeout: .seconds(1), delay: .seconds(1))
        // Warm up: the first probe opens the socket and starts the reader thread.
        _ = await prober.probe(request)

        let cpuBefore = cpuSeconds()
        let began = ContinuousClock.now
        let end = began + .seconds(duration)
        let samples = await withTaskGroup(of: Samples.self) { group in
            for _ in 0..<concurrency {
                // As the agent's scheduler runs its probe tasks: on the prober's reader thread.
                group.addTask(executorPreference: prober.preferredExecutor) {
                    // Room for the whole run up front, as raw_datagram has: growing the arrays
                    // mid-run would copy them on the measured core.
                    var samples = Samples()
                    let room = Int(duration * 200_000) / concurrency
                    samples.reported.reserveCapacity(room)
                    samples.userSpace.reserveCapacity(room)
                    samples.overhead.reserveCapacity(room)
                    while ContinuousClock.now < end {
                        let outcome = await prober.probe(request)
                        guard let rtt = outcome.rtt else {
                            samples.lost += 1
                            continue
                        }
                        samples.answered += 1
                        samples.reported.append(rtt.nanoseconds)
                        if let userSpace = outcome.userSpaceRTT {
                            samples.userSpace.append(userSpace.nanoseconds)
                            samples.overhead.append(userSpace.nanoseconds - rtt.nanoseconds)
                        }
                    }
                    return samples
                }
            }
            var all = Samples()
            for await part in group {
                all.answered += part.answered
                all.lost += part.lost
                all.reported += part.reported
                all.userSpace += part.userSpace
                all.overhead += part.overhead
            }
            return all
        }
        let elapsed = (ContinuousClock.now - began).seconds
        let cpu = cpuSeconds() - cpuBefore
        icmp?.shutdown()
        await udp?.shutdown()

        func percentile(_ values: [Int64], _ q: Double) -> Double {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return 0 }
            return Double(sorted[Int(q * Double(sorted.count - 1) + 0.5)]) / 1000
        }
        let fields: [String] = [
            "\"prober\":\"swift\"", "\"kind\":\"\(kind.rawValue)\"", "\"socket\":\"\(socketKind)\"",
            String(format: "\"seconds\":%.3f", elapsed), "\"answered\":\(samples.answered)", "\"lost\":\(samples.lost)",
            "\"stamped\":\(samples.userSpace.count)", String(format: "\"cpu_seconds\":%.3f", cpu),
            String(format: "\"per_second\":%.0f", Double(samples.answered) / elapsed),
            String(format: "\"per_cpu_second\":%.0f", cpu > 0 ? Double(samples.answered) / cpu : 0),
            String(format: "\"user_p50_us\":%.2f", percentile(samples.userSpace, 0.5)),
            String(format: "\"user_p99_us\":%.2f", percentile(samples.userSpace, 0.99)),
            String(format: "\"kernel_p50_us\":%.2f", percentile(samples.reported, 0.5)),
            String(format: "\"kernel_p99_us\":%.2f", percentile(samples.reported, 0.99)),
            String(format: "\"overhead_p50_us\":%.2f", percentile(samples.overhead, 0.5)),
            String(format: "\"overhead_p99_us\":%.2f", percentile(samples.overhead, 0.99)),
        ]
        print("{" + fields.joined(separator: ",") + "}")
    }
}
