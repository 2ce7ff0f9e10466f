/// Why an offered binary was not installed; the agent keeps running its old binary.
public enum SelfUpgradeError: Error, Sendable, Equatable, CustomStringConvertible {
    case download(String)
    case tooLarge(limit: Int)
    case checksum(expected: String, actual: String)
    case signature(String)
    case install(String)

    public var description: String {
        switch self {
        case .download(let reason): return "download failed: \(reason)"
        case .tooLarge(let limit): return "download is above \(limit) bytes"
        case .checksum(let expected, let actual): return "sha256 mismatch: expected \(expected), got \(actual)"
        case .signature(let reason): return "signature refused: \(reason)"
        case .install(let reason): return "install failed: \(reason)"
        }
    }
}
