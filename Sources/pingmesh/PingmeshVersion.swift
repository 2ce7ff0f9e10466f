/// The version agents report when they register.
enum PingmeshVersion {
    static let current = "0.2.0"
}
