/// The RTT of a datagram exchange, ended by the kernel's receive timestamp where there is one.
///
/// A reply timed in user space includes the reader thread's wake-up and scheduling, which on a
/// busy host is most of a loopback or same-rack RTT. The kernel stamps each datagram as it
/// arrives (SO_TIMESTAMPNS, on CLOCK_REALTIME), so the send is read on that clock as well, and
/// the monotonic pair is kept as the fallback and as the measure of what the stamp removed.
struct KernelReceiveTime {
    /// Right before the send call: CLOCK_REALTIME and CLOCK_MONOTONIC, nanoseconds.
    var sentWall: Int64
    var sentMonotonic: Int64

    /// The RTT to report, and the user-space RTT when the reported one came from the kernel.
    /// A stamp that is missing, or that a clock step between send and receive made negative or
    /// longer than the user-space RTT, is not used.
    func rtt(receivedMonotonic: Int64, kernelReceivedWall: Int64) -> (rtt: Duration, userSpace: Duration?) {
        let userSpace = receivedMonotonic - sentMonotonic
        let kernel = kernelReceivedWall - sentWall
        guard kernelReceivedWall > 0, kernel > 0, kernel <= userSpace else { return (.nanoseconds(userSpace), nil) }
        return (.nanoseconds(kernel), .nanoseconds(userSpace))
    }
}
