import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PingmeshModel
import PingmeshProbe

// pingmesh-bench throughput --target HOST:PORT [--duration S] [--concurrency N] [--api async|future]
//
// Drives the agent's TCP prober as fast as it goes on one event loop and prints one JSON line:
// probes per second and CPU time per probe (user + system, from getrusage), for comparison with
// Benchmarks/raw/raw_connect.c measured in the same run (Benchmarks/run-benchmarks.sh).

struct Options {
    var target = "127.0.0.1:9301"
    var duration = 10.0
    var concurrency = 64
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
            case "--api" where value == "async" || value == "future": api = value
            default: Self.usage()
            }
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(
            Data("usage: pingmesh-bench throughput --target HOST:PORT [--duration S] [--concurrency N] [--api async|future]\n".utf8)
        )
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

let options = Options(Array(CommandLine.arguments.dropFirst()))
guard let (host, port) = HostPort.split(options.target), let port, let address = try? SocketAddress(ipAddress: host, port: port) else {
    Options.usage()
}
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let prober = TCPProber(group: group)
let request = ProbeRequest(address: address, timeout: .seconds(2), delay: .seconds(1))

/// Counts outcomes; touched only from the one event loop (future API) or under the lock.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [ProbeResultClass: Int] = [:]
    func add(_ result: ProbeResultClass) {
        lock.lock()
        counts[result, default: 0] += 1
        lock.unlock()
    }
    var snapshot: [ProbeResultClass: Int] {
        lock.lock()
        defer { lock.unlock() }
        return counts
    }
}

let tally = Tally()
let cpuStart = cpuSeconds()
let start = ContinuousClock.now
let deadline = start.advanced(by: .milliseconds(Int64(options.duration * 1000)))

if options.api == "future" {
    let done = group.next().makePromise(of: Void.self)
    let active = NIOLockedValueBox(options.concurrency)
    @Sendable func launch() {
        prober.start(request).whenComplete { result in
            tally.add((try? result.get())?.result ?? .error)
            if ContinuousClock.now < deadline {
                launch()
            } else if active.withLockedValue({
                $0 -= 1; return $0
            }) == 0 {
                done.succeed(())
            }
        }
    }
    for _ in 0..<options.concurrency { launch() }
    try await done.futureResult.get()
} else {
    await withTaskGroup(of: Void.self) { tasks in
        for _ in 0..<options.concurrency {
            tasks.addTask {
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
let ok = (counts[.ok] ?? 0) + (counts[.slow] ?? 0)
print(
    """
    {"tool":"pingmesh-bench","api":"\(options.api)","probes":\(total),"answered":\(ok),"seconds":\(elapsed),\
    "probes_per_second":\(Double(total) / elapsed),"cpu_seconds":\(cpu),"cpu_us_per_probe":\(cpu / Double(max(total, 1)) * 1e6)}
    """
)
try await group.shutdownGracefully()
