import Foundation
import PingmeshCollector

/// `pingmesh-bench analysis`: how often fault localisation names the right component, how often
/// a healthy fabric raises a false finding, how many windows detection takes, and how long one
/// window takes to analyse for 10,000 servers.
struct AnalysisBenchmark {
    var faults = 210
    var healthy = 100
    var timingRuns = 5

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next().flatMap(Int.init), value > 0 else { Self.usage() }
            switch flag {
            case "--faults": faults = value
            case "--healthy": healthy = value
            case "--timing-runs": timingRuns = value
            default: Self.usage()
            }
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(Data("usage: pingmesh-bench analysis [--faults 210] [--healthy 100] [--timing-runs 5]\n".utf8))
        exit(2)
    }

    /// The network's findings and the servers', without agent-silent notes.
    static func findings(_ localizer: FaultLocalizer, _ window: WindowEvidence) -> [Finding] {
        localizer.analyze(window).filter { $0.kind != .agentSilent }
    }

    func run() throws {
        let localizer = FaultLocalizer()
        let small = try FaultSimulator()
        print("== accuracy: \(faults) random single faults and \(healthy) healthy windows, 1,000 servers (2 DCs x 5 podsets x 5 ToRs x 20)")
        var perKind: [String: (runs: Int, right: Int, delays: [Int])] = [:]
        var order: [String] = []
        for run in 0..<faults {
            let fault = small.randomFault(index: run, seed: UInt64(run) &* 7919 &+ 17)
            guard let expected = small.expected(fault) else { continue }
            let kind = fault.description
            if perKind[kind] == nil { order.append(kind) }
            // Up to two windows: detection within two windows counts, its delay is recorded.
            var delay: Int?
            for window in 1...2 {
                let top = Self.findings(localizer, small.window(fault, seed: UInt64(run * 10 + window)))
                if let first = top.first, first.component == expected.component, expected.kinds.contains(first.kind) {
                    delay = window
                    break
                }
            }
            var entry = perKind[kind] ?? (0, 0, [])
            entry.runs += 1
            if let delay {
                entry.right += 1
                entry.delays.append(delay)
            }
            perKind[kind] = entry
        }
        var falseRuns = 0
        for run in 0..<healthy where !Self.findings(localizer, small.window(.none, seed: UInt64(1_000_000 + run))).isEmpty { falseRuns += 1 }

        var totalRuns = 0
        var totalRight = 0
        var delays: [Int] = []
        for kind in order {
            let entry = perKind[kind]!
            totalRuns += entry.runs
            totalRight += entry.right
            delays += entry.delays
            let padded = kind.padding(toLength: 18, withPad: " ", startingAt: 0)
            print(String(format: "  %@ top-1 %3d/%3d = %5.1f%%", padded, entry.right, entry.runs, 100 * Double(entry.right) / Double(entry.runs)))
        }
        let accuracy = Double(totalRight) / Double(max(totalRuns, 1))
        let falseRate = Double(falseRuns) / Double(max(healthy, 1))
        delays.sort()
        let medianDelay = delays.isEmpty ? 0 : delays[delays.count / 2]
        print(String(format: "top-1 accuracy overall: %.1f%% (%d/%d) (target >= 95%%) %@", 100 * accuracy, totalRight, totalRuns, accuracy >= 0.95 ? "PASS" : "FAIL"))
        print(String(format: "false findings on healthy windows: %.1f%% (%d/%d) (target < 1%%) %@", 100 * falseRate, falseRuns, healthy, falseRate < 0.01 ? "PASS" : "FAIL"))
        print("detection delay: median \(medianDelay) window(s) of 60 s; \(delays.filter { $0 == 1 }.count) of \(delays.count) in the first window")

        print("\n== analysis time: 10,000 servers (2 DCs x 5 podsets x 25 ToRs x 40), one window")
        let large = try FaultSimulator(datacenters: 2, podsetsPerDatacenter: 5, torsPerPodset: 25, serversPerTor: 40)
        var times: [Double] = []
        var pairs = 0
        for run in 0..<timingRuns {
            let window = large.window(large.randomFault(index: run, seed: UInt64(run + 1)), seed: UInt64(run + 1))
            pairs = window.pairs.count
            let start = DispatchTime.now().uptimeNanoseconds
            _ = localizer.analyze(window)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        let median = times[times.count / 2]
        print(String(format: "analysis of one window (%d pairs): median %.2f s of %d runs (target < 5 s) %@", pairs, median, timingRuns, median < 5 ? "PASS" : "FAIL"))
    }
}
