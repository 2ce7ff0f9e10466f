import PingmeshAgent
import PingmeshModel
import Testing

@Suite("Simulated faults")
struct FaultInjectorTests {
    /// 64 servers: two data centers of 32, 8 servers a ToR, 4 ToRs a podset.
    let mesh = SimulatedMesh(count: 64)

    func server(_ index: Int) -> SimulatedMesh.Server { mesh.servers[index] }

    /// Share of `trials` probes from `a` to `b` that the faults drop.
    func dropShare(_ injector: FaultInjector, _ a: Int, _ b: Int, trials: Int = 2000) -> Double {
        let dropped = (0..<trials).filter { _ in injector.effect(from: server(a).name, to: server(b).address) == .drop }.count
        return Double(dropped) / Double(trials)
    }

    @Test("names in the mesh follow the topology: dc1-tor1 holds sim-000 ... sim-007, dc2 starts at sim-032")
    func placement() {
        #expect(server(0).torName == "dc1-tor1" && server(7).torName == "dc1-tor1" && server(8).torName == "dc1-tor2")
        #expect(server(31).podsetName == "dc1-podset1" && server(32).datacenterName == "dc2" && server(32).torName == "dc2-tor1")
        let targets = FaultInjector(mesh: mesh).targets
        #expect(targets.tors.count == 8 && targets.podsets.count == 2 && targets.datacenters == ["dc1", "dc2"] && targets.links == ["dc1-dc2"])
    }

    @Test("a ToR down silences its servers and drops every probe to or from them, and nothing else")
    func torDown() throws {
        let injector = FaultInjector(mesh: mesh)
        _ = try injector.inject(SimulatedFaultRequest(kind: "tor-down", target: "dc1-tor2"))
        #expect(injector.isDown(agent: server(8).name) && injector.isDown(agent: server(15).name))
        #expect(!injector.isDown(agent: server(7).name) && !injector.isDown(agent: server(16).name))
        #expect(dropShare(injector, 0, 9, trials: 10) == 1 && dropShare(injector, 9, 40, trials: 10) == 1)
        #expect(dropShare(injector, 0, 1, trials: 10) == 0 && dropShare(injector, 0, 40, trials: 10) == 0)
        injector.clearAll()
        #expect(!injector.isDown(agent: server(8).name) && dropShare(injector, 0, 9, trials: 10) == 0)
    }

    @Test("a server down is silent and unreachable; its ToR mates are not")
    func serverDown() throws {
        let injector = FaultInjector(mesh: mesh)
        let fault = try injector.inject(SimulatedFaultRequest(kind: "server-down", target: "sim-003"))
        #expect(injector.isDown(agent: "sim-003") && !injector.isDown(agent: "sim-002"))
        #expect(dropShare(injector, 2, 3, trials: 10) == 1 && dropShare(injector, 2, 4, trials: 10) == 0)
        #expect(injector.clear(id: fault.id) && !injector.clear(id: fault.id))
        #expect(!injector.isDown(agent: "sim-003"))
    }

    @Test("a black hole drops the same IP pairs every time, about the share asked for, only through its ToR")
    func blackHole() throws {
        let injector = FaultInjector(mesh: mesh)
        _ = try injector.inject(SimulatedFaultRequest(kind: "black-hole", target: "dc1-tor1", share: 0.5))
        var holed = 0
        var pairs = 0
        for a in 0..<8 {
            for b in 8..<64 {
                let share = dropShare(injector, a, b, trials: 3)
                #expect(share == 0 || share == 1, "pair \(a)-\(b) is dropped only sometimes")
                #expect(dropShare(injector, b, a, trials: 1) == share, "pair \(a)-\(b) differs by direction")
                pairs += 1
                if share == 1 { holed += 1 }
            }
        }
        #expect((0.35...0.65).contains(Double(holed) / Double(pairs)), "\(holed) of \(pairs) pairs black-holed")
        #expect(dropShare(injector, 8, 40, trials: 20) == 0)
    }

    @Test("a port black hole drops one source port of about half the ToR's IP pairs, the same pairs every time, and no other port")
    func portBlackHole() throws {
        let injector = FaultInjector(mesh: mesh)
        #expect(throws: SimulatedFaultError.self) { try injector.inject(SimulatedFaultRequest(kind: "port-black-hole", target: "dc1-tor1", port: 9)) }
        let fault = try injector.inject(SimulatedFaultRequest(kind: "port-black-hole", target: "dc1-tor1", port: 20001))
        #expect(fault.port == 20001)
        var holed = 0
        for b in 8..<64 {
            let dropped = injector.effect(from: server(0).name, to: server(b).address, sourcePort: 20001) == .drop
            #expect((injector.effect(from: server(0).name, to: server(b).address, sourcePort: 20001) == .drop) == dropped, "pair 0-\(b) flips")
            #expect(injector.effect(from: server(0).name, to: server(b).address, sourcePort: 20000) == .pass)
            #expect(injector.effect(from: server(0).name, to: server(b).address) == .pass, "a probe without the port is not on that path")
            if dropped { holed += 1 }
        }
        #expect((15...41).contains(holed), "\(holed) of 56 pairs lose port 20001")
        #expect(injector.effect(from: server(8).name, to: server(40).address, sourcePort: 20001) == .pass, "pairs away from the ToR")
    }

    @Test("random drops hit paths through the target at its rate: a podset's leaves carry traffic between its ToRs, not within one")
    func drops() throws {
        let injector = FaultInjector(mesh: mesh)
        _ = try injector.inject(SimulatedFaultRequest(kind: "drops", target: "dc1-podset1", rate: 0.3))
        #expect((0.25...0.35).contains(dropShare(injector, 0, 8)))
        #expect((0.25...0.35).contains(dropShare(injector, 0, 40)))
        #expect(dropShare(injector, 0, 1, trials: 200) == 0)
        #expect(dropShare(injector, 32, 40, trials: 200) == 0)
    }

    @Test("latency on a data-center link delays only the pairs across it")
    func latency() throws {
        let injector = FaultInjector(mesh: mesh)
        _ = try injector.inject(SimulatedFaultRequest(kind: "latency", target: "dc1-dc2", latencyMs: 8))
        #expect(injector.effect(from: server(0).name, to: server(40).address) == .delay(.milliseconds(8)))
        #expect(injector.effect(from: server(40).name, to: server(0).address) == .delay(.milliseconds(8)))
        #expect(injector.effect(from: server(0).name, to: server(20).address) == .pass)
    }

    @Test("bad requests name the field and why")
    func badRequests() {
        let injector = FaultInjector(mesh: mesh)
        func message(_ request: SimulatedFaultRequest) -> String {
            do {
                _ = try injector.inject(request)
                return ""
            } catch {
                return error.description
            }
        }
        #expect(message(SimulatedFaultRequest(kind: "meteor", target: "dc1-tor1")).hasPrefix("kind: 'meteor' is not one of"))
        #expect(message(SimulatedFaultRequest(kind: "tor-down", target: "sim-001")).hasPrefix("target: 'sim-001' is not a ToR"))
        #expect(message(SimulatedFaultRequest(kind: "drops", target: "dc1", rate: 1.5)).hasPrefix("rate: 1.5 is outside"))
        #expect(message(SimulatedFaultRequest(kind: "black-hole", target: "dc1-tor1", share: 0)).hasPrefix("share: 0.0 is outside"))
        #expect(message(SimulatedFaultRequest(kind: "latency", target: "dc9-dc1")).hasPrefix("target: 'dc9-dc1' is not"))
        #expect(injector.faults.isEmpty)
    }
}
