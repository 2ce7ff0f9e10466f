import PingmeshModel

/// Where the collector stores results: `sqlite:PATH` (the embedded default) or a PostgreSQL
/// URL (`postgres://user:password@host:port/database`).
public enum StoreLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    public init(parsing text: String) throws(ConfigError) {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw ConfigError(file: "command line", issues: [.init(path: "--store", reason: "sqlite: needs a file path (sqlite:./pingmesh-data/results.db)")])
            }
            self = .sqlite(path: path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else {
            throw ConfigError(
                file: "command line",
                issues: [.init(path: "--store", reason: "'\(text)' is neither sqlite:PATH nor postgres://USER@HOST:PORT/DATABASE")])
        }
    }

    /// Says where without the password.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let url):
            guard let at = url.firstIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
            let credentials = url[scheme.upperBound..<at]
            guard let colon = credentials.firstIndex(of: ":") else { return url }
            return url.replacingCharacters(in: colon..<at, with: ":***")
        }
    }
}
