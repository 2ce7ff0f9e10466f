import PingmeshModel

/// The levels pairs are grouped at: servers, then their ToR (pod), podset and data center.
public enum TopologyLevel: String, Sendable, Hashable, Codable, CaseIterable {
    case server, tor, pod, podset, dc

    /// A stable small code for the stores.
    public var code: Int {
        switch self {
        case .server: return 0
        case .tor: return 1
        case .pod: return 2
        case .podset: return 3
        case .dc: return 4
        }
    }

    public init?(code: Int) {
        guard let level = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = level
    }

    /// The placement label this level groups by (nil for servers, grouped by name).
    var label: String? {
        switch self {
        case .server: return nil
        case .tor: return "tor"
        case .pod: return "pod"
        case .podset: return "podset"
        case .dc: return "dc"
        }
    }
}

/// Window lengths of the rollups: 1 min from the agents' windows, then 10 min, 1 h and 1 day.
public enum Resolution: String, Sendable, Hashable, Codable, CaseIterable {
    case minute = "1m"
    case tenMinutes = "10m"
    case hour = "1h"
    case day = "1d"

    public var seconds: Int64 {
        switch self {
        case .minute: return 60
        case .tenMinutes: return 600
        case .hour: return 3600
        case .day: return 86_400
        }
    }

    public var code: Int {
        switch self {
        case .minute: return 0
        case .tenMinutes: return 1
        case .hour: return 2
        case .day: return 3
        }
    }

    public init?(code: Int) {
        guard let resolution = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = resolution
    }

    /// The start of the window holding `time` (Unix seconds).
    public func windowStart(_ time: Int64) -> Int64 {
        let floor = time / seconds * seconds
        return floor > time ? floor - seconds : floor
    }

    /// The next coarser resolution, which is rolled up from this one.
    public var coarser: Resolution? {
        switch self {
        case .minute: return .tenMinutes
        case .tenMinutes: return .hour
        case .hour: return .day
        case .day: return nil
        }
    }
}

extension ProbeKind {
    /// A stable small code for the stores (tcp is 0, which SQLite stores in no bytes).
    public var code: Int {
        switch self {
        case .tcp: return 0
        case .http: return 1
        case .udp: return 2
        case .icmp: return 3
        case .dns: return 4
        case .ntp: return 5
        }
    }

    public init?(code: Int) {
        guard let kind = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = kind
    }
}
