import Foundation
import Testing

@testable import PingmeshModel

@Suite("Faults in words")
struct SimulatedFaultTextTests {
    @Test("a fault is one line with its figures; long target lists keep their ends")
    func lines() {
        let fault = SimulatedFault(id: "f-3", kind: .portBlackHole, target: "dc2-tor2", port: 20001, since: 1_700_000_000)
        #expect(fault.line == "f-3  port-black-hole  dc2-tor2  since 2023-11-14T22:13:20Z  port 20001")
        let drops = SimulatedFault(id: "f-4", kind: .drops, target: "dc1", rate: 0.02, since: 1_700_000_000)
        #expect(drops.line.hasSuffix("dc1  since 2023-11-14T22:13:20Z  rate 0.02"))
        let targets = SimulatedFaultTargets(
            servers: (1...64).map { String(format: "sim-%03d", $0) }, tors: ["dc1-tor1", "dc1-tor2"], podsets: ["dc1-podset1"], datacenters: ["dc1", "dc2"],
            links: ["dc1-dc2"], sourcePorts: [20001, 20002])
        #expect(targets.lines.first == "servers:      sim-001 sim-002 sim-003 sim-004 ...(58 more) sim-063 sim-064")
        #expect(targets.lines.contains("source ports: 20001 20002"))
    }
}
