import Foundation
import PingmeshModel

/// `pingmesh-bench plan`: the controller's cost for a large data center.
struct PlanBenchmark {
    var datacenters = 2
    var podsets = 50
    var tors = 2500
    var serversPerToR = 40

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next().flatMap(Int.init), value > 0 else { Self.usage() }
            switch flag {
            case "--datacenters": datacenters = value
            case "--podsets": podsets = value
            case "--tors": tors = value
            case "--servers-per-tor": serversPerToR = value
            default: Self.usage()
            }
        }
        guard podsets % datacenters == 0, tors % podsets == 0 else { Self.usage() }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(
            Data("usage: pingmesh-bench plan [--datacenters N] [--podsets N] [--tors N] [--servers-per-tor N] (podsets divisible by DCs, ToRs by podsets)\n".utf8))
        exit(2)
    }

    /// The topology as the controller would hold it after reading its file.
    func topologyFile() -> TopologyFile {
        TopologyFile.uniform(
            datacenters: datacenters, podsetsPerDatacenter: podsets / datacenters, podsPerPodset: tors / podsets, serversPerPod: serversPerToR)
    }

    func run() {
        let file = topologyFile()
        guard let topology = try? file.validated(file: "generated") else {
            FileHandle.standardError.write(Data("generated topology invalid\n".utf8))
            exit(1)
        }
        let beforeMiB = Self.statusMiB("VmRSS")
        let started = ContinuousClock.now
        let plan = ProbePlanner.plan(topology)
        let planSeconds = started.duration(to: .now).seconds
        let pairs = plan.peers.reduce(0) { $0 + $1.count }
        let peakMiB = Self.statusMiB("VmHWM")

        var timings: [Double] = []
        var bytes = 0
        let step = max(1, topology.servers.count / 200)
        for agent in stride(from: 0, to: topology.servers.count, by: step) {
            let listStarted = ContinuousClock.now
            let data = ProbePlan.encode(plan.pinglistFile(for: agent))
            timings.append(listStarted.duration(to: .now).seconds * 1000)
            bytes = data.count
        }
        timings.sort()
        print(
            """
            {"tool":"pingmesh-bench","mode":"plan","servers":\(topology.servers.count),"tors":\(topology.pods.count),"pairs":\(pairs),\
            "plan_seconds":\(planSeconds),"rss_before_plan_mib":\(beforeMiB),"peak_rss_mib":\(peakMiB),\
            "one_list_ms_median":\(timings[timings.count / 2]),"one_list_ms_max":\(timings.last!),"one_list_bytes":\(bytes)}
            """)
    }

    static func statusMiB(_ key: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }),
            let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return -1 }
        return kib / 1024
    }
}
