extension TopologyFile {
    /// A regular Clos data center for simulations and benchmarks: `datacenters` DCs (dc0, dc1, ...,
    /// regions r0, r1, ...), each of `podsetsPerDatacenter` podsets of `podsPerPodset` pods (one ToR
    /// each) of `serversPerPod` servers, named s1, s2, ... with IPv4 addresses 10.x.y.z in order; a
    /// 10 s interval and one server per podset probing the other DCs.
    public static func uniform(datacenters: Int, podsetsPerDatacenter: Int, podsPerPodset: Int, serversPerPod: Int) -> TopologyFile {
        var serial = 0
        return TopologyFile(
            settings: PinglistSettingsFile(interval: .seconds(10)), interDC: .init(serversPerPodset: 1),
            datacenters: (0..<datacenters).map { d in
                .init(
                    name: "dc\(d)", region: "r\(d)",
                    podsets: (0..<podsetsPerDatacenter).map { p in
                        .init(
                            name: "dc\(d)-ps\(p)",
                            pods: (0..<podsPerPodset).map { t in
                                .init(
                                    name: "dc\(d)-ps\(p)-pod\(t)",
                                    servers: (0..<serversPerPod).map { _ in
                                        serial += 1
                                        return .init(name: "s\(serial)", ipv4: "10.\(serial >> 16 & 255).\(serial >> 8 & 255).\(serial & 255)")
                                    })
                            })
                    })
            })
    }
}
