/// Histogram buckets for probe RTTs: 25 us to 10 s in 1-2.5-5 steps, fine enough to tell a
/// healthy intra-rack RTT (tens of us) from a SYN retransmission (1 s).
public enum MetricBuckets {
    public static let rtt: [Duration] = [
        .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]
}
