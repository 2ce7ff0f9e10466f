/// A store failure that is not SQLite's or PostgreSQL's own.
public struct StoreError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
