/// A named document the collector keeps in its store for every replica (the incident tracker's
/// state), with a version that grows on every save, so a reader skips what it already has.
public struct StoredState: Sendable, Hashable {
    public var value: [UInt8]
    public var version: Int64

    public init(value: [UInt8], version: Int64) {
        self.value = value
        self.version = version
    }
}
