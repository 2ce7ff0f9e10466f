import Foundation
import Testing

@testable import PingmeshModel

@Suite("Traceroute request and result")
struct TracerouteRequestTests {
    static let valid = TracerouteRequest(protocol: .tcp, target: "10.0.0.1", port: 9301)

    @Test("defaults: 30 hops, 3 probes a hop, 1 s a probe, one kernel-chosen source port")
    func defaults() throws {
        let request = Self.valid
        #expect(request.maxHops == 30 && request.probesPerHop == 3 && request.timeoutMilliseconds == 1_000)
        #expect(request.sourcePorts.isEmpty && request.sourceAddress == nil)
        try request.validate()
    }

    @Test(
        "each bad field is named in the error",
        arguments: [
            (TracerouteRequest(protocol: .tcp, target: "host.example", port: 80), "target"),
            (TracerouteRequest(protocol: .udp, target: "10.0.0.1", port: 0), "port"),
            (TracerouteRequest(protocol: .udp, target: "10.0.0.1", port: 70_000), "port"),
            (TracerouteRequest(protocol: .tcp, target: "10.0.0.1", port: 80, sourcePorts: [40_000, 0]), "source_ports"),
            (TracerouteRequest(protocol: .tcp, target: "10.0.0.1", port: 80, sourcePorts: [40_000, 40_000]), "source_ports"),
            (TracerouteRequest(protocol: .tcp, target: "10.0.0.1", port: 80, sourceAddress: "nowhere"), "source_address"),
            (TracerouteRequest(protocol: .tcp, target: "10.0.0.1", port: 80, sourceAddress: "::1"), "source_address"),
            (TracerouteRequest(protocol: .tcp, target: "10.0.0.1", port: 80, maxHops: 0), "max_hops"),
            (TracerouteRequest(protocol: .tcp, target: "10.0.0.1", port: 80, maxHops: 65), "max_hops"),
            (TracerouteRequest(protocol: .tcp, target: "10.0.0.1", port: 80, probesPerHop: 11), "probes_per_hop"),
            (TracerouteRequest(protocol: .tcp, target: "10.0.0.1", port: 80, timeoutMilliseconds: 0), "timeout_ms"),
        ])
    func namesTheField(_ request: TracerouteRequest, _ field: String) {
        #expect(throws: TracerouteRequestError.self) { try request.validate() }
        do {
            try request.validate()
        } catch {
            #expect(error.field == field)
            #expect(error.description.hasPrefix("\(field): "), "\(error)")
        }
    }

    @Test("the caps themselves are allowed, and IPv6 targets with IPv6 sources")
    func limits() throws {
        try TracerouteRequest(protocol: .udp, target: "::1", port: 33_434, sourcePorts: [1, 65_535], sourceAddress: "::1", maxHops: 64, probesPerHop: 10)
            .validate()
    }

    @Test("request JSON: snake_case keys, defaults for the optional fields, unknown keys refused")
    func requestJSON() throws {
        let request = TracerouteRequest(
            protocol: .udp, target: "10.1.2.3", port: 33_434, sourcePorts: [40_001, 40_002], sourceAddress: "10.0.0.9", maxHops: 12,
            probesPerHop: 2, timeoutMilliseconds: 500)
        let data = try JSONEncoder().encode(request)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["protocol", "target", "port", "source_ports", "source_address", "max_hops", "probes_per_hop", "timeout_ms"])
        #expect(try JSONDecoder().decode(TracerouteRequest.self, from: data) == request)

        let minimal = try JSONDecoder().decode(TracerouteRequest.self, from: Data(#"{"protocol":"tcp","target":"10.0.0.1","port":9301}"#.utf8))
        #expect(minimal == Self.valid)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TracerouteRequest.self, from: Data(#"{"protocol":"tcp","target":"10.0.0.1","port":1,"hops":3}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TracerouteRequest.self, from: Data(#"{"protocol":"icmp","target":"10.0.0.1","port":1}"#.utf8))
        }
    }

    @Test("result JSON round trip, with snake_case keys throughout")
    func resultJSON() throws {
        let hops = [
            TracerouteHop(ttl: 1, address: "10.0.0.1", sent: 3, rttsMilliseconds: [0.5, 0.7, 0.6], isDestination: false),
            TracerouteHop(ttl: 2, address: nil, sent: 3, rttsMilliseconds: [], isDestination: false),
        ]
        let result = TracerouteResult(request: Self.valid, paths: [TraceroutePath(sourcePort: 40_000, hops: hops)])
        let data = try JSONEncoder().encode(result)
        #expect(try JSONDecoder().decode(TracerouteResult.self, from: data) == result)
        let text = String(decoding: data, as: UTF8.self)
        for key in ["source_port", "reached_destination", "loss_starts_at_hop", "rtt_min_ms", "rtt_avg_ms", "rtt_max_ms", "is_destination"] {
            #expect(text.contains("\"\(key)\""), "\(key) in \(text)")
        }
        #expect(hops[0].rttMinMilliseconds == 0.5 && hops[0].rttMaxMilliseconds == 0.7 && hops[0].received == 3)
        #expect(abs((hops[0].rttAvgMilliseconds ?? 0) - 0.6) < 1e-9)
        #expect(hops[1].rttAvgMilliseconds == nil && hops[1].loss == 1)
    }

    @Test("loss starts right after the last hop that answered, unless the target was reached or nothing after it was probed")
    func lossStart() {
        func hop(_ ttl: Int, answered: Bool, destination: Bool = false) -> TracerouteHop {
            TracerouteHop(ttl: ttl, address: answered ? "10.0.0.\(ttl)" : nil, sent: 3, rttsMilliseconds: answered ? [1] : [], isDestination: destination)
        }
        // A silent hop in the middle is a router that does not answer, not where loss starts.
        let dark = TraceroutePath(sourcePort: 1, hops: [hop(1, answered: true), hop(2, answered: false), hop(3, answered: true)] + (4...8).map { hop($0, answered: false) })
        #expect(!dark.reachedDestination && dark.lossStartsAtHop == 4)
        let reached = TraceroutePath(sourcePort: 1, hops: [hop(1, answered: false), hop(2, answered: true, destination: true)])
        #expect(reached.reachedDestination && reached.lossStartsAtHop == nil)
        let silent = TraceroutePath(sourcePort: 1, hops: (1...5).map { hop($0, answered: false) })
        #expect(silent.lossStartsAtHop == 1)
        let tooShort = TraceroutePath(sourcePort: 1, hops: [hop(1, answered: true), hop(2, answered: true)])
        #expect(!tooShort.reachedDestination && tooShort.lossStartsAtHop == nil)
    }
}
