import Foundation
import NIOCore
import NIOPosix
import PingmeshModel
import PingmeshProbe
import Synchronization

/// `pingmesh-bench fanout --kind udp|icmp [--targets 1000] [--seconds 60] [--interval 1]`
///
/// The fan-out check: one prober (the agent's own: UDP through one shared socket, ICMP
/// through one socket per family, replies matched by id and sequence) probes `targets` loopback
/// addresses from 127.0.1.1 upwards, each once per interval, paced evenly over the interval, for
/// `seconds`. For UDP, a real UDP echo responder listens on each address (in this process, on
/// its own event loop); for ICMP the kernel answers. Prints probes sent, replies counted, losses
/// (any loss on loopback is spurious: a reply the prober missed), the RTT median and P99, CPU
/// time per probe (user + system of the whole process, responders included for UDP) and peak RSS.
struct FanOutBenchmark {
    var kind = ProbeKind.udp
    var targets = 1000
    var seconds = 60
    var interval = 1.0

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { Self.usage() }
            switch flag {
            case "--kind":
                guard let parsed = ProbeKind(rawValue: value), parsed == .udp || parsed == .icmp else { Self.usage() }
                kind = parsed
            case "--targets":
                guard let number = Int(value), (1...65_000).contains(number) else { Self.usage() }
                targets = number
            case "--seconds":
                guard let number = Int(value), number > 0 else { Self.usage() }
                seconds = number
            case "--interval":
                guard let number = Double(value), number > 0 else { Self.usage() }
                interval = number
            default: Self.usage()
            }
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(Data("usage: pingmesh-bench fanout --kind udp|icmp [--targets 1000] [--seconds 60] [--interval 1]\n".utf8))
        exit(2)
    }

    /// 127.0.1.1 upwards, skipping .0 and .255 in the last byte.
    func address(_ index: Int) -> String { "127.0.\(1 + index / 254).\(1 + index % 254)" }

    func run() async throws {
        let responderGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var responders: [any Channel] = []
        var addresses: [SocketAddress] = []
        for index in 0..<targets {
            if kind == .udp {
                let channel = try await UDPEchoResponder(host: address(index), port: 0, group: responderGroup).bind()
                responders.append(channel)
                addresses.append(channel.localAddress!)
            } else {
                addresses.append(try SocketAddress(ipAddress: address(index), port: 0))
            }
        }
        let prober: any Prober
        var icmp: ICMPProber?
        var udp: UDPProber?
        if kind == .udp {
            udp = UDPProber()
            prober = udp!
        } else {
            icmp = try ICMPProber.make()
            prober = icmp!
            print("fanout: ICMP through \(icmp!.modes.joined(separator: ", ")) sockets")
        }
        print(String(format: "fanout: %@ to %d loopback targets (%@ ... %@), each every %.1f s, for %d s", kind.rawValue, targets, address(0), address(targets - 1), interval, seconds))

        let cpuBefore = cpuSeconds()
        let gap = interval / Double(targets)
        let rounds = max(1, Int(Double(seconds) / interval))
        let began = ContinuousClock.now
        // A discarding group frees each probe's task as it ends, so memory holds the probes in
        // flight, not the whole run's.
        let collected = OutcomeLog()
        await withDiscardingTaskGroup { group in
            for round in 0..<rounds {
                for index in 0..<targets {
                    // Paced: probe n leaves at n * gap, whatever the ones before it are doing.
                    let due = began + .seconds(Double(round) * interval + Double(index) * gap)
                    if due > ContinuousClock.now { try? await Task.sleep(until: due, clock: .continuous) }
                    let request = ProbeRequest(address: addresses[index], timeout: .seconds(2), delay: .milliseconds(10))
                    // As the agent's scheduler runs its probe tasks: on the prober's reader thread.
                    group.addTask(executorPreference: prober.preferredExecutor) {
                        let outcome = await prober.probe(request)
                        collected.outcomes.withLock { $0.append(outcome) }
                    }
                }
            }
        }
        let outcomes = collected.outcomes.withLock { $0 }
        let elapsed = (ContinuousClock.now - began)
        let cpu = cpuSeconds() - cpuBefore
        let answered = outcomes.filter { $0.rtt != nil }
        let rtts = answered.compactMap { $0.rtt.map { Double($0.components.attoseconds) / 1e12 + Double($0.components.seconds) * 1e6 } }.sorted()
        func quantile(_ q: Double) -> Double { rtts.isEmpty ? .nan : rtts[min(rtts.count - 1, Int(Double(rtts.count) * q))] }
        var lost: [String: Int] = [:]
        for outcome in outcomes where outcome.rtt == nil { lost[outcome.result.rawValue, default: 0] += 1 }
        print(
            String(
                format: "fanout: %d probes in %.1f s, %d replies, %d lost %@; RTT median %.0f us, P99 %.0f us; CPU %.2f us per probe (%.1f%% of a core); peak RSS %.1f MiB",
                outcomes.count, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, answered.count,
                outcomes.count - answered.count, lost.isEmpty ? "" : "\(lost)" as NSString, quantile(0.5), quantile(0.99),
                cpu / Double(outcomes.count) * 1e6, cpu / Double(seconds) * 100, peakResidentMiB()))
        icmp?.shutdown()
        await udp?.shutdown()
        for channel in responders { try? await channel.close() }
        try await responderGroup.shutdownGracefully()
    }

    final class OutcomeLog: Sendable {
        let outcomes = Mutex<[ProbeOutcome]>([])
    }

    func peakResidentMiB() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let kib = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Double($0) }
        return (kib ?? 0) / 1024
    }
}
