/// A traceroute request that cannot run; the message starts with the JSON name of the bad field.
public struct TracerouteRequestError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The field's JSON key, e.g. `max_hops`.
    public var field: String
    public var reason: String

    public var description: String { "\(field): \(reason)" }
}

extension TracerouteRequest {
    /// The target's family, once `validate()` has passed.
    public var family: IPAddressFamily? { IPAddressFamily.of(literal: target) }

    /// Checks every field before a packet leaves; throws for the first bad one.
    public func validate() throws(TracerouteRequestError) {
        func fail(_ key: CodingKeys, _ reason: String) -> TracerouteRequestError {
            TracerouteRequestError(field: key.rawValue, reason: reason)
        }
        guard let family = IPAddressFamily.of(literal: target) else {
            throw fail(.target, "'\(target)' is not an IPv4 or IPv6 address literal")
        }
        guard (1...65_535).contains(port) else { throw fail(.port, "\(port) is outside 1...65535") }
        guard sourcePorts.count <= Self.maximumSourcePorts else {
            throw fail(.sourcePorts, "\(sourcePorts.count) ports, at most \(Self.maximumSourcePorts)")
        }
        for sourcePort in sourcePorts where !(1...65_535).contains(sourcePort) {
            throw fail(.sourcePorts, "\(sourcePort) is outside 1...65535")
        }
        // The same port twice is the same path twice: a typo, not a wish.
        guard Set(sourcePorts).count == sourcePorts.count else { throw fail(.sourcePorts, "a port is listed twice") }
        if let sourceAddress {
            guard let sourceFamily = IPAddressFamily.of(literal: sourceAddress) else {
                throw fail(.sourceAddress, "'\(sourceAddress)' is not an IPv4 or IPv6 address literal")
            }
            guard sourceFamily == family else {
                throw fail(.sourceAddress, "\(sourceFamily.rawValue) source for an \(family.rawValue) target")
            }
        }
        guard (1...Self.maximumHops).contains(maxHops) else { throw fail(.maxHops, "\(maxHops) is outside 1...\(Self.maximumHops)") }
        guard (1...Self.maximumProbesPerHop).contains(probesPerHop) else {
            throw fail(.probesPerHop, "\(probesPerHop) is outside 1...\(Self.maximumProbesPerHop)")
        }
        guard (1...Self.maximumTimeoutMilliseconds).contains(timeoutMilliseconds) else {
            throw fail(.timeoutMilliseconds, "\(timeoutMilliseconds) is outside 1...\(Self.maximumTimeoutMilliseconds)")
        }
    }
}
