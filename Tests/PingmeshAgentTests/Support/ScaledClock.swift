import Foundation

/// A clock whose time runs `scale` times faster than real time, so a test can run rounds of
/// 10 s (the pair rule's minimum) in a tenth of a second, with the scheduler's real code.
struct ScaledClock: Clock {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    let scale: Int
    private let origin = ContinuousClock.now

    init(scale: Int) {
        self.scale = scale
    }

    var now: Instant { Instant(offset: origin.duration(to: .now) * scale) }
    var minimumResolution: Duration { .nanoseconds(scale) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let remaining = now.duration(to: deadline)
        guard remaining > .zero else { return }
        // Round up so a sleeper never wakes before its virtual deadline.
        try await Task.sleep(for: remaining / scale + .nanoseconds(1))
    }
}
