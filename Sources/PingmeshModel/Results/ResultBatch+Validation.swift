extension ResultBatch {
    /// Window lengths an agent may use: they must divide a minute or be whole minutes dividing
    /// ten, so windows nest in the collector's 1 min rollup.
    public static let allowedWindowSeconds: Set<Int> = [10, 15, 20, 30, 60]
    /// Windows older than this are refused: the retention of the finest level has dropped them.
    public static let maximumAge: Int64 = 2 * 86_400
    /// Clocks may run a little ahead; a window further in the future is a broken clock.
    public static let maximumClockSkew: Int64 = 300

    /// Every problem with this batch, each naming its field; `now` is Unix seconds.
    public func validationIssues(now: Int64) -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        if id.count < 8 || id.count > 64 || !id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            issues.append(.init(path: "id", reason: "must be 8 to 64 characters of A-Z, a-z, 0-9, '-' or '_'"))
        }
        Self.checkName(agent, path: "agent", issues: &issues)
        for (value, path) in [(agentVersion, "agent_version"), (pinglistVersion, "pinglist_version")] {
            if let value, value.utf8.count > 128 || Self.hasControl(value) {
                issues.append(.init(path: path, reason: "must be at most 128 bytes without control characters"))
            }
        }
        PinglistFile.checkLabels(labels, path: "labels", issues: &issues)
        if windows.count + failures.count > Self.maximumEntries {
            issues.append(.init(path: "windows", reason: "more than \(Self.maximumEntries) windows and failures in one batch"))
        }
        var seen = Set<WindowKey>()
        for (index, window) in windows.enumerated() {
            let path = "windows[\(index)]"
            if !Self.allowedWindowSeconds.contains(window.seconds) {
                issues.append(.init(path: "\(path).seconds", reason: "must be one of \(Self.allowedWindowSeconds.sorted())"))
            } else if window.start % Int64(window.seconds) != 0 {
                issues.append(.init(path: "\(path).start", reason: "must be a multiple of seconds (\(window.seconds))"))
            }
            if window.start < now - Self.maximumAge {
                issues.append(.init(path: "\(path).start", reason: "is more than 2 days old: beyond the 1 min retention"))
            } else if window.start > now + Self.maximumClockSkew {
                issues.append(.init(path: "\(path).start", reason: "is in the future (agent clock ahead by more than 5 min)"))
            }
            if window.target.isEmpty || window.target.utf8.count > 512 || Self.hasControl(window.target) {
                issues.append(.init(path: "\(path).target", reason: "must be 1 to 512 bytes without control characters"))
            }
            Self.checkName(window.name, path: "\(path).name", issues: &issues)
            PinglistFile.checkLabels(window.labels, path: "\(path).labels", issues: &issues)
            if window.counts.total == 0 {
                issues.append(.init(path: "\(path).counts", reason: "a window holds at least one probe"))
            }
            if window.rtt.count != window.counts.answered {
                issues.append(
                    .init(
                        path: "\(path).rtt",
                        reason: "holds \(window.rtt.count) RTTs but counts.ok + counts.slow is \(window.counts.answered)"))
            }
            if let low = window.minRTTNanoseconds, let high = window.maxRTTNanoseconds, low < 0 || high < low {
                issues.append(.init(path: "\(path).min_rtt_ns", reason: "must be at least 0 and at most max_rtt_ns"))
            }
            for (portIndex, port) in window.ports.enumerated() {
                if !(1...65535).contains(port.port) {
                    issues.append(.init(path: "\(path).ports[\(portIndex)].port", reason: "must be in 1...65535"))
                }
                if port.failed > port.sent {
                    issues.append(.init(path: "\(path).ports[\(portIndex)].failed", reason: "is above sent"))
                }
            }
            if !seen.insert(WindowKey(start: window.start, target: window.target)).inserted {
                issues.append(.init(path: "\(path)", reason: "a second summary of target \(window.target) for the same window"))
            }
        }
        for (index, failure) in failures.enumerated() {
            let path = "failures[\(index)]"
            if failure.target.isEmpty || failure.target.utf8.count > 512 || Self.hasControl(failure.target) {
                issues.append(.init(path: "\(path).target", reason: "must be 1 to 512 bytes without control characters"))
            }
            Self.checkName(failure.name, path: "\(path).name", issues: &issues)
            if failure.result == .ok { issues.append(.init(path: "\(path).result", reason: "ok probes are summarised, not recorded")) }
            if failure.at / 1000 < now - Self.maximumAge || failure.at / 1000 > now + Self.maximumClockSkew {
                issues.append(.init(path: "\(path).at", reason: "is not within the last 2 days (Unix milliseconds)"))
            }
            if let rtt = failure.rttNanoseconds, rtt < 0 { issues.append(.init(path: "\(path).rtt_ns", reason: "must not be negative")) }
            if let port = failure.sourcePort, !(1...65535).contains(port) {
                issues.append(.init(path: "\(path).source_port", reason: "must be in 1...65535"))
            }
            if let detail = failure.detail, detail.utf8.count > 512 || detail.contains("\u{0}") {
                issues.append(.init(path: "\(path).detail", reason: "is longer than 512 bytes or holds a NUL"))
            }
        }
        return issues
    }

    private struct WindowKey: Hashable {
        var start: Int64
        var target: String
    }

    static func checkName(_ name: String, path: String, issues: inout [ConfigIssue]) {
        if name.isEmpty || name.utf8.count > 253 || hasWhitespace(name) || hasControl(name) {
            issues.append(.init(path: path, reason: "must be 1 to 253 characters without spaces or control characters"))
        }
    }

    /// Whether `text` holds white space or a line break. Names are ASCII nearly always, and
    /// their bytes tell at once; only other text is read as characters, which costs a Unicode
    /// lookup each (a batch holds thousands of names).
    static func hasWhitespace(_ text: String) -> Bool {
        var ascii = true
        for byte in text.utf8 {
            if byte >= 0x80 {
                ascii = false
                break
            }
            if byte == 0x20 || (0x09...0x0D).contains(byte) { return true }
        }
        return ascii ? false : text.contains(where: { $0.isWhitespace || $0.isNewline })
    }

    /// Control characters (NUL above all) have no place in names or details, and PostgreSQL
    /// cannot store NUL in text: refuse them here rather than fail in the store. Unicode's
    /// control category is exactly U+0000-U+001F, U+007F and U+0080-U+009F (the latter encoded
    /// C2 80 to C2 9F), so the bytes tell; tab is allowed.
    static func hasControl(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if (byte < 0x20 && byte != 0x09) || byte == 0x7F || (previous == 0xC2 && (0x80...0x9F).contains(byte)) { return true }
            previous = byte
        }
        return false
    }
}
