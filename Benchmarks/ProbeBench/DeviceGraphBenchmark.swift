import Foundation
import PingmeshCollector
import PingmeshModel

/// `pingmesh-bench fabric`: fault localisation judged on fabrics it does not model itself
/// (`DeviceGraphSimulator`: probes routed hop by hop over devices and links with ECMP hashing),
/// two tiers and three. For each shape: random faults of every kind, top-1 accuracy per kind for
/// the component pair data names (a ToR, a tier, a server) and, apart, for the device or link the
/// traceroutes of the failing 5-tuples name (in up to three rounds, as the collector traces); and
/// false findings over healthy windows.
struct DeviceGraphBenchmark {
    var faults = 200
    var healthy = 100

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next().flatMap(Int.init), value > 0 else { Self.usage() }
            switch flag {
            case "--faults": faults = value
            case "--healthy": healthy = value
            default: Self.usage()
            }
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(Data("usage: pingmesh-bench fabric [--faults 200] [--healthy 100]\n".utf8))
        exit(2)
    }

    func run() {
        let localizer = FaultLocalizer()
        for shape in [FabricDescription.Shape.twoTier, .threeTier] {
            let simulator = DeviceGraphSimulator(shape: shape)
            let voting = PathVoting(fabric: simulator.description, placements: simulator.placements)
            print(
                "== \(shape.rawValue) tiers: \(simulator.servers) servers (\(simulator.podsets) podsets x \(simulator.torsPerPodset) ToRs x \(simulator.serversPerTor)), \(simulator.spines) spines"
                    + (shape == .threeTier ? ", \(simulator.leavesPerPodset) leaves per podset" : "") + "; \(faults) random faults, \(healthy) healthy windows")
            var random = SplitMix64(seed: 20_261_207 + UInt64(shape.rawValue))
            var perKind: [String: (runs: Int, component: Int, located: Int, locatable: Int)] = [:]
            var order: [String] = []
            for run in 0..<faults {
                let (fault, components, culprit) = simulator.randomFault(index: run, random: &random)
                let kind = fault.description
                if perKind[kind] == nil { order.append(kind) }
                var entry = perKind[kind] ?? (0, 0, 0, 0)
                entry.runs += 1
                if culprit != nil { entry.locatable += 1 }
                // Named within two windows, as an incident is; then traced as the collector does:
                // while the votes name nothing, again the next window (its failing 5-tuples),
                // up to three rounds, voting over every path so far.
                for window in 1...2 {
                    let (evidence, failing) = simulator.window(fault, seed: UInt64(run * 10 + window))
                    let findings = localizer.analyze(evidence).filter { $0.kind != .agentSilent }
                    guard let first = findings.first, components.contains(first.component) else { continue }
                    entry.component += 1
                    guard let culprit, first.isNetwork else { break }
                    var traces = simulator.traces(for: first, failing: failing, fault: fault)
                    var verdict = voting.verdict(traces, tier: first.component.tier)
                    for round in 1..<3 where verdict == nil {
                        let later = simulator.window(fault, seed: UInt64(run * 10 + window + round))
                        guard let again = localizer.analyze(later.evidence).first(where: { $0.component == first.component }) else { continue }
                        traces += simulator.traces(for: again, failing: later.failing, fault: fault)
                        verdict = voting.verdict(traces, tier: first.component.tier)
                    }
                    if verdict?.culprit == culprit { entry.located += 1 }
                    break
                }
                perKind[kind] = entry
            }
            var totals = (runs: 0, component: 0, located: 0, locatable: 0)
            for kind in order {
                let entry = perKind[kind]!
                totals.runs += entry.runs
                totals.component += entry.component
                totals.located += entry.located
                totals.locatable += entry.locatable
                let padded = kind.padding(toLength: 16, withPad: " ", startingAt: 0)
                let located =
                    entry.locatable == 0
                    ? "device or link: -"
                    : String(format: "device or link %3d/%3d = %5.1f%%", entry.located, entry.locatable, 100 * Double(entry.located) / Double(entry.locatable))
                print(String(format: "  %@ component %3d/%3d = %5.1f%%   %@", padded, entry.component, entry.runs, 100 * Double(entry.component) / Double(entry.runs), located))
            }
            print(
                String(
                    format: "  top-1 component: %.1f%% (%d/%d); top-1 device or link: %.1f%% (%d/%d)", 100 * Double(totals.component) / Double(max(totals.runs, 1)),
                    totals.component, totals.runs, 100 * Double(totals.located) / Double(max(totals.locatable, 1)), totals.located, totals.locatable))
            var falseRuns = 0
            for run in 0..<healthy where !localizer.analyze(simulator.window(.none, seed: UInt64(1_000_000 + run)).evidence).isEmpty { falseRuns += 1 }
            print(String(format: "  false findings on healthy windows: %d/%d = %.1f%%", falseRuns, healthy, 100 * Double(falseRuns) / Double(healthy)))
        }
    }
}
