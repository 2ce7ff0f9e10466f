import PingmeshModel

/// `k=v,k=v` on the command line.
enum LabelList {
    static func parse(_ text: String, field: String) throws(ConfigError) -> [String: String] {
        var labels: [String: String] = [:]
        for pair in text.split(separator: ",") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ConfigError(file: "command line", issues: [.init(path: field, reason: "'\(pair)' is not key=value")])
            }
            labels[String(parts[0])] = String(parts[1])
        }
        return labels
    }
}
