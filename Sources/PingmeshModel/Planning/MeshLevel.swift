/// The level of Pingmesh's mesh a probe pair belongs to (paper section 3.3.1), plus extras.
public enum MeshLevel: String, Sendable, Hashable, CaseIterable, Codable {
    /// Every server probes every other server under its ToR.
    case intraPod = "intra_pod"
    /// ToRs of a data center form a virtual complete graph.
    case intraDC = "intra_dc"
    /// Selected servers probe selected servers of every other data center.
    case interDC = "inter_dc"
    /// Targets outside the mesh, for the agents a selector picks.
    case extra

    /// Thinning drops the least important level first.
    static let dropOrder: [MeshLevel] = [.extra, .intraDC, .interDC, .intraPod]
}
