import PingmeshProbe

extension ProbeReport {
    /// The summary's offset line for NTP probes, `\noffset min/avg/max = ...`; empty for other kinds.
    static func offsetSummary(_ outcomes: [ProbeOutcome]) -> String {
        let offsets = outcomes.compactMap { $0.result.isFailure ? nil : $0.clockOffset }
        guard let low = offsets.min(), let high = offsets.max() else { return "" }
        let mean = offsets.reduce(Duration.zero, +) / offsets.count
        return
            "\nclock offset min/avg/max = \(milliseconds(low))/\(milliseconds(mean))/\(milliseconds(high)) ms (positive: the server is ahead)"
    }
}
