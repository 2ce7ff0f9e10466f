/// Delays between failed upload attempts: doubling from `initial` up to `maximum`, each drawn at
/// random from its upper half, so agents that lost their collector together do not come back
/// in step.
struct UploadBackoff: Sendable {
    let initial: Duration
    let maximum: Duration
    private(set) var failures = 0

    init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = max(initial, maximum)
    }

    /// The delay after one more failure.
    mutating func next() -> Duration {
        let exponent = min(failures, 30)
        failures += 1
        let ceiling = min(maximum, initial * (1 << exponent))
        return max(initial, ceiling * Double.random(in: 0.5...1.0))
    }

    mutating func reset() { failures = 0 }
}
