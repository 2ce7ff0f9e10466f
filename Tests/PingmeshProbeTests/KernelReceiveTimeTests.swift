import Testing

@testable import PingmeshProbe

@Suite("Kernel receive timestamps")
struct KernelReceiveTimeTests {
    let sent = KernelReceiveTime(sentWall: 1_700_000_000_000_000_000, sentMonotonic: 5_000_000)

    @Test("a kernel stamp ends the RTT, and the user-space RTT is kept beside it")
    func stamped() {
        // Sent at monotonic 5 ms; read in user space 80 us later; stamped by the kernel at 30 us.
        let timing = sent.rtt(receivedMonotonic: 5_080_000, kernelReceivedWall: sent.sentWall + 30_000)
        #expect(timing.rtt == .microseconds(30))
        #expect(timing.userSpace == .microseconds(80))
    }

    @Test("no stamp, or one a clock step made impossible, leaves the user-space RTT")
    func unusable() {
        for stamp: Int64 in [0, sent.sentWall - 1_000, sent.sentWall + 90_000] {
            let timing = sent.rtt(receivedMonotonic: 5_080_000, kernelReceivedWall: stamp)
            #expect(timing.rtt == .microseconds(80), "stamp \(stamp)")
            #expect(timing.userSpace == nil)
        }
    }
}
