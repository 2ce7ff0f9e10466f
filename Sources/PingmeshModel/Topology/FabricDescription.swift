/// The switching fabric as the operator describes it: how many tiers of switches a probe between
/// racks crosses, and, where known, the devices of each tier with their interface addresses, so
/// that analysis names only components the fabric has and traceroute hops name devices.
public struct FabricDescription: Sendable, Hashable {
    /// The tiers of a Clos fabric above the servers.
    public enum Shape: Int, Sendable, Hashable, CaseIterable {
        /// ToRs wired straight to the spines of their data center (leaf-spine).
        case twoTier = 2
        /// ToRs to the leaves of their podset, leaves to the spines of their data center.
        case threeTier = 3
    }

    /// A switch tier: where a device sits.
    public enum Tier: String, Sendable, Hashable, CaseIterable, Codable {
        case tor, leaf, spine
    }

    /// One switch: its name, tier, place and the addresses its interfaces answer traceroutes from.
    public struct Device: Sendable, Hashable {
        public var name: String
        public var tier: Tier
        public var datacenter: String?
        public var podset: String?
        public var addresses: [String]

        public init(name: String, tier: Tier, datacenter: String? = nil, podset: String? = nil, addresses: [String] = []) {
            self.name = name
            self.tier = tier
            self.datacenter = datacenter
            self.podset = podset
            self.addresses = addresses
        }
    }

    public var shape: Shape
    public var devices: [Device]

    /// A topology that says nothing of its fabric: three tiers, no devices named.
    public static let standard = FabricDescription(shape: .threeTier, devices: [])

    public init(shape: Shape, devices: [Device] = []) {
        self.shape = shape
        self.devices = devices
    }

    /// Whether the fabric has the tier at all (a two-tier fabric has no leaves).
    public func has(_ tier: Tier) -> Bool { tier != .leaf || shape == .threeTier }

    /// The device an interface address belongs to, by name.
    public var deviceByAddress: [String: String] {
        var map: [String: String] = [:]
        for device in devices {
            for address in device.addresses { map[address] = device.name }
        }
        return map
    }

    /// The device called `name`, if described.
    public func device(named name: String) -> Device? { devices.first { $0.name == name } }
}
