/// Decoding for string enums in configuration files that names the accepted values on error,
/// instead of Swift's "cannot initialize from invalid String value".
protocol StrictStringEnum: RawRepresentable, CaseIterable, Decodable where RawValue == String {}

extension StrictStringEnum {
    static func decodeStrictly(from decoder: any Decoder) throws -> Self {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            let accepted = allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not one of: \(accepted)")
        }
        return value
    }
}

extension ProbeKind: StrictStringEnum {
    public init(from decoder: any Decoder) throws { self = try Self.decodeStrictly(from: decoder) }
}

extension IPProtocolPreference: StrictStringEnum {
    public init(from decoder: any Decoder) throws { self = try Self.decodeStrictly(from: decoder) }
}
