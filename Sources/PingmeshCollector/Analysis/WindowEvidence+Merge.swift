extension WindowEvidence {
    /// Several windows' evidence as one, for faults too faint for one window: random drops of 1%
    /// on one spine of a small fabric lose about two packets a minute, below what one window may
    /// call a fault, and several times that over three. Each pair's packets are summed, its p99 is
    /// the worst, and reporting is the newest window's. Nil when the windows' fabrics differ (a
    /// server joined or left): their dense indices would not match.
    public static func merged(_ windows: [WindowEvidence]) -> WindowEvidence? {
        guard var result = windows.last else { return nil }
        for earlier in windows.dropLast() {
            guard earlier.fabric.servers == result.fabric.servers else { return nil }
            result.pairs = merge(earlier.pairs, result.pairs)
        }
        return result
    }

    /// Two pair lists sorted by (source, destination), merged in one pass.
    static func merge(_ a: [PairObservation], _ b: [PairObservation]) -> [PairObservation] {
        var merged: [PairObservation] = []
        merged.reserveCapacity(max(a.count, b.count))
        var (i, j) = (0, 0)
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && (a[i].source, a[i].destination) < (b[j].source, b[j].destination)) {
                merged.append(a[i])
                i += 1
            } else if i == a.count || (b[j].source, b[j].destination) < (a[i].source, a[i].destination) {
                merged.append(b[j])
                j += 1
            } else {
                var pair = b[j]
                pair.sent &+= a[i].sent
                pair.lost &+= a[i].lost
                pair.p99Microseconds = max(pair.p99Microseconds, a[i].p99Microseconds)
                pair.blackholedPorts &+= a[i].blackholedPorts
                merged.append(pair)
                i += 1
                j += 1
            }
        }
        return merged
    }
}
