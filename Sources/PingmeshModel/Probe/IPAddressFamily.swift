import Foundation

/// The family of an IP address literal, found without touching the network.
public enum IPAddressFamily: String, Sendable, Hashable {
    case ipv4
    case ipv6

    /// The family of `literal` if it is an IPv4 or IPv6 address literal, `nil` otherwise
    /// (a host name, or garbage).
    public static func of(literal: String) -> IPAddressFamily? {
        if isIPv4(literal) { return .ipv4 }
        if isIPv6(literal) { return .ipv6 }
        return nil
    }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCIIDigit), let value = Int(part) else { return false }
            // A leading zero reads as octal to some resolvers: refuse the ambiguity.
            return value <= 255 && !(part.count > 1 && part.first == "0")
        }
    }

    static func isIPv6(_ text: String) -> Bool {
        var body = Substring(text)
        if let percent = body.firstIndex(of: "%") {
            // A zone (fe80::1%eth0) names an interface, not part of the address.
            guard body.index(after: percent) < body.endIndex else { return false }
            body = body[..<percent]
        }
        guard body.contains(":"), body.count <= 45 else { return false }
        let groups = body.components(separatedBy: "::")
        guard groups.count <= 2 else { return false }
        let compressed = groups.count == 2
        var count = 0
        for (index, half) in groups.enumerated() where !half.isEmpty {
            var fields = half.split(separator: ":", omittingEmptySubsequences: false)
            if index == groups.count - 1, let last = fields.last, last.contains(".") {
                // An embedded IPv4 tail (::ffff:10.0.0.1) counts as two groups.
                guard isIPv4(String(last)) else { return false }
                fields.removeLast()
                count += 2
            }
            for field in fields {
                guard (1...4).contains(field.count), field.allSatisfy(\.isHexDigit) else { return false }
                count += 1
            }
        }
        return compressed ? count < 8 : count == 8
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
