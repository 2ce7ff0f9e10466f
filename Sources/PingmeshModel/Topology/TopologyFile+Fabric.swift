extension TopologyFile {
    /// The `fabric` section: the fabric's shape and, optionally, its devices.
    ///
    /// ```yaml
    /// fabric:
    ///   tiers: 2                    # 2: ToR -> spine; 3: ToR -> leaf -> spine (the default)
    ///   devices:                    # optional: names traceroute hops and lets analysis name a device
    ///     - {name: spine1, tier: spine, datacenter: dc1, addresses: [10.3.1.2, 10.3.2.2]}
    ///     - {name: tor1, tier: tor, addresses: [10.1.1.1, 10.3.1.1]}
    /// ```
    public struct FabricFile: Sendable, Hashable, Codable {
        public var tiers: Int?
        public var devices: [DeviceFile]?

        public init(tiers: Int? = nil, devices: [DeviceFile]? = nil) {
            self.tiers = tiers
            self.devices = devices
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case tiers, devices }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            tiers = try container.decodeIfPresent(Int.self, forKey: .tiers)
            devices = try container.decodeIfPresent([DeviceFile].self, forKey: .devices)
        }
    }

    /// One switch of the fabric.
    public struct DeviceFile: Sendable, Hashable, Codable {
        public var name: String
        /// tor, leaf or spine.
        public var tier: String
        public var datacenter: String?
        public var podset: String?
        /// The addresses its interfaces answer traceroutes from (ICMP time exceeded).
        public var addresses: [String]?

        public init(name: String, tier: String, datacenter: String? = nil, podset: String? = nil, addresses: [String]? = nil) {
            self.name = name
            self.tier = tier
            self.datacenter = datacenter
            self.podset = podset
            self.addresses = addresses
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case name, tier, datacenter, podset, addresses }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            tier = try container.decode(String.self, forKey: .tier)
            datacenter = try container.decodeIfPresent(String.self, forKey: .datacenter)
            podset = try container.decodeIfPresent(String.self, forKey: .podset)
            addresses = try container.decodeIfPresent([String].self, forKey: .addresses)
        }
    }

    /// The fabric the file describes, checked: a shape of 2 or 3 tiers, devices with unique names
    /// and addresses, of a tier the shape has. No section: three tiers, no devices.
    func validatedFabric(datacenters known: Set<String>, issues: inout [ConfigIssue]) -> FabricDescription {
        guard let fabric else { return .standard }
        var shape = FabricDescription.Shape.threeTier
        if let tiers = fabric.tiers {
            if let given = FabricDescription.Shape(rawValue: tiers) {
                shape = given
            } else {
                issues.append(.init(path: "fabric.tiers", reason: "\(tiers) is not 2 (ToR -> spine) or 3 (ToR -> leaf -> spine)"))
            }
        }
        var devices: [FabricDescription.Device] = []
        var names: [String: Int] = [:]
        var owners: [String: String] = [:]
        for (index, device) in (fabric.devices ?? []).enumerated() {
            let path = "fabric.devices[\(index)]"
            if device.name.isEmpty {
                issues.append(.init(path: "\(path).name", reason: "must not be empty"))
            } else if let other = names[device.name] {
                issues.append(.init(path: "\(path).name", reason: "'\(device.name)' is already used by entry \(other) of the same list"))
            } else {
                names[device.name] = index
            }
            guard let tier = FabricDescription.Tier(rawValue: device.tier) else {
                issues.append(.init(path: "\(path).tier", reason: "'\(device.tier)' is not one of tor, leaf, spine"))
                continue
            }
            if tier == .leaf && shape == .twoTier {
                issues.append(.init(path: "\(path).tier", reason: "a fabric of 2 tiers (fabric.tiers) has no leaves"))
            }
            if let datacenter = device.datacenter, !known.contains(datacenter) {
                issues.append(.init(path: "\(path).datacenter", reason: "'\(datacenter)' is not a data center of this topology"))
            }
            for (at, address) in (device.addresses ?? []).enumerated() {
                if IPAddressFamily.of(literal: address) == nil {
                    issues.append(.init(path: "\(path).addresses[\(at)]", reason: "'\(address)' is not an IP address"))
                } else if let other = owners[address] {
                    issues.append(.init(path: "\(path).addresses[\(at)]", reason: "\(address) is already an address of \(other)"))
                } else {
                    owners[address] = device.name
                }
            }
            devices.append(
                .init(name: device.name, tier: tier, datacenter: device.datacenter, podset: device.podset, addresses: device.addresses ?? []))
        }
        return FabricDescription(shape: shape, devices: devices)
    }
}
