import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PingmeshModel
import PingmeshProbe

// pingmesh-bench throughput --target HOST:PORT [--duration S] [--concurrency N]
//                [--engine epoll|nio] [--api async|callback]
// pingmesh-bench collector [--agents 1000] [--peers 300] [--minutes 10] [--tors 50]
// pingmesh-bench plan [--datacenters 2] [--podsets 50] [--tors 2500] [--servers-per-tor 40]
// pingmesh-bench analysis [--faults 210] [--healthy 100] [--timing-runs 5]
// pingmesh-bench fabric [--faults 200] [--healthy 100]
// pingmesh-bench tasks [--agents 1000] [--runs 5]
// pingmesh-bench fanout --kind udp|icmp [--targets 1000] [--seconds 60] [--interval 1]
// pingmesh-bench datagram --kind udp|icmp --target IP[:PORT] [--duration 5] [--concurrency 16]
// pingmesh-bench load [--binary PATH] [--agents 1000] [--peers 300] [--seconds 600]
//
// plan: computes the controller's whole probe plan for a generated topology (every agent's
// list, in memory) and prints its time and the process's peak memory, then the time to build and
// serialise one agent's list (median of 200 agents).
//
// Drives one of the agent's TCP probers as fast as it goes and prints one JSON line: probes per
// second and CPU time per probe (user + system, from getrusage), for comparison with
// Benchmarks/raw/raw_connect.c measured in the same run (Benchmarks/run-benchmarks.sh).
// --engine epoll is what the agent uses on Linux; nio is the portable fallback. --api async goes
// through `probe(_:) async` as the agent's scheduler does; callback starts the next probe from
// the completion, with no task in between.

struct Options {
    var target = "127.0.0.1:9301"
    var duration = 10.0
    var concurrency = 64
    var engine = "epoll"
    var api = "async"

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        guard iterator.next() == "throughput" else { Self.usage() }
        while let flag = iterator.next() {
            guard let value = iterator.next() else { Self.usage() }
            switch flag {
            case "--target": target = value
            case "--duration": duration = Double(value) ?? { Self.usage() }()
            case "--concurrency": concurrency = Int(value) ?? { Self.usage() }()
            case "--engine" where value == "epoll" || value == "nio": engine = value
            case "--api" where value == "async" || value == "callback" || value == "future": api = value == "future" ? "callback" : value
            default: Self.usage()
            }
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(
            Data(
                "usage: pingmesh-bench throughput --target HOST:PORT [--duration S] [--concurrency N] [--engine epoll|nio] [--api async|callback]\n"
                    .utf8))
        exit(2)
    }
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    return user + system
}

/// Counts outcomes from any thread.
final class Tally: Sendable {
    private let counts = NIOLockedValueBox([ProbeResultClass: Int]())
    func add(_ result: ProbeResultClass) { counts.withLockedValue { $0[result, default: 0] += 1 } }
    var snapshot: [ProbeResultClass: Int] { counts.withLockedValue { $0 } }
}

if CommandLine.arguments.dropFirst().first == "collector" {
    try await CollectorBenchmark(Array(CommandLine.arguments.dropFirst(2))).run()
    exit(0)
}

if CommandLine.arguments.dropFirst().first == "fabric" {
    DeviceGraphBenchmark(Array(CommandLine.arguments.dropFirst(2))).run()
    exit(0)
}

if CommandLine.arguments.dropFirst().first == "analysis" {
    try AnalysisBenchmark(Array(CommandLine.arguments.dropFirst(2))).run()
    exit(0)
}

if CommandLine.arguments.dropFirst().first == "tasks" {
    try await TaskBenchmark(Array(CommandLine.arguments.dropFirst(2))).run()
    exit(0)
}

if CommandLine.arguments.dropFirst().first == "fanout" {
    try await FanOutBenchmark(Array(CommandLine.arguments.dropFirst(2))).run()
    exit(0)
}

if CommandLine.arguments.dropFirst().first == "datagram" {
    try await DatagramBenchmark(Array(CommandLine.arguments.dropFirst(2))).run()
    exit(0)
}

if CommandLine.arguments.dropFirst().first == "ingest" {
    try await IngestBenchmark(Array(CommandLine.arguments.dropFirst(2))).run()
    exit(0)
}

if CommandLine.arguments.dropFirst().first == "load" {
    try await LoadBenchmark(Array(CommandLine.arguments.dropFirst(2))).run()
    exit(0)
}

if CommandLine.arguments.dropFirst().first == "plan" {
    PlanBenchmark(Array(CommandLine.arguments.dropFirst(2))).run()
    exit(0)
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
guard let (host, port) = HostPort.split(options.target), let port, let address = try? SocketAddress(ipAddress: host, port: port) else {
    Options.usage()
}
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let request = ProbeRequest(address: address, timeout: .seconds(2), delay: .seconds(1))
let epoll = options.engine == "epoll" ? try EpollTCPProber() : nil
let nio = TCPProber(group: group)
let prober: any Prober = epoll ?? nio

let tally = Tally()
let cpuStart = cpuSeconds()
let start = ContinuousClock.now
let deadline = start.advanced(by: .milliseconds(Int64(options.duration * 1000)))

if options.api == "callback" {
    let (finished, done) = AsyncStream.makeStream(of: Void.self)
    let active = NIOLockedValueBox(options.concurrency)
    @Sendable func completed(_ outcome: ProbeOutcome) {
        tally.add(outcome.result)
        if ContinuousClock.now < deadline {
            launch()
        } else if active.withLockedValue({ $0 -= 1; return $0 }) == 0 {
            done.finish()
        }
    }
    @Sendable func launch() {
        if let epoll {
            epoll.start(request, completion: completed)
        } else {
            nio.start(request).whenComplete { completed((try? $0.get()) ?? ProbeOutcome(result: .error)) }
        }
    }
    for _ in 0..<options.concurrency { launch() }
    for await _ in finished {}
} else {
    await withTaskGroup(of: Void.self) { tasks in
        for _ in 0..<options.concurrency {
            // As the agent's scheduler runs its probe tasks: on the prober's loop thread, where
            // it has one (the epoll engine).
            tasks.addTask(executorPreference: prober.preferredExecutor) {
                while ContinuousClock.now < deadline {
                    tally.add(await prober.probe(request).result)
                }
            }
        }
    }
}

let elapsed = start.duration(to: .now).seconds
let cpu = cpuSeconds() - cpuStart
let counts = tally.snapshot
let total = counts.values.reduce(0, +)
let answered = (counts[.ok] ?? 0) + (counts[.slow] ?? 0)
print(
    """
    {"tool":"pingmesh-bench","engine":"\(options.engine)","api":"\(options.api)","probes":\(total),"answered":\(answered),"seconds":\(elapsed),\
    "probes_per_second":\(Double(total) / elapsed),"cpu_seconds":\(cpu),"cpu_us_per_probe":\(cpu / Double(max(total, 1)) * 1e6)}
    """
)
epoll?.shutdown()
try await group.shutdownGracefully()
