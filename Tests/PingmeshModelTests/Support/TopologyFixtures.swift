@testable import PingmeshModel

enum TopologyFixtures {
    /// A topology of `datacenters` DCs with the given shape; with a seed, pod sizes vary
    /// between 1 and `serversPerPod` so ToRs of unequal size are covered.
    static func file(
        datacenters: Int, podsetsPerDC: Int, podsPerPodset: Int, serversPerPod: Int, seed: UInt64? = nil,
        interDC: Int = 1, caps: TopologyFile.CapsFile? = nil, dualStack: Bool = false
    ) -> TopologyFile {
        var random = SplitMix64(seed: seed ?? 0)
        var serial = 0
        let dcs = (0..<datacenters).map { d in
            TopologyFile.DataCenterFile(
                name: "dc\(d)", region: "r\(d % 2)",
                podsets: (0..<podsetsPerDC).map { p in
                    TopologyFile.PodsetFile(
                        name: "ps\(p)",
                        pods: (0..<podsPerPodset).map { q in
                            let size = seed == nil ? serversPerPod : Int.random(in: 1...serversPerPod, using: &random)
                            return TopologyFile.PodFile(
                                name: "pod\(p)-\(q)", tor: "tor-\(d)-\(p)-\(q)",
                                servers: (0..<size).map { _ in
                                    serial += 1
                                    return TopologyFile.ServerFile(
                                        name: "s\(serial)", ipv4: "10.\(serial >> 16 & 255).\(serial >> 8 & 255).\(serial & 255)",
                                        ipv6: dualStack ? "fd00::\(String(serial, radix: 16))" : nil)
                                })
                        })
                })
        }
        return TopologyFile(
            settings: PinglistSettingsFile(interval: .seconds(10)), interDC: .init(serversPerPodset: interDC), caps: caps, datacenters: dcs)
    }

    static func topology(
        datacenters: Int, podsetsPerDC: Int, podsPerPodset: Int, serversPerPod: Int, seed: UInt64? = nil,
        interDC: Int = 1, caps: TopologyFile.CapsFile? = nil, dualStack: Bool = false
    ) throws -> Topology {
        try file(
            datacenters: datacenters, podsetsPerDC: podsetsPerDC, podsPerPodset: podsPerPodset, serversPerPod: serversPerPod,
            seed: seed, interDC: interDC, caps: caps, dualStack: dualStack
        ).validated(file: "generated")
    }
}
