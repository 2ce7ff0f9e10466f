import PingmeshModel
import Synchronization

/// Fault control that only remembers what it was asked: the collector's routes are tested here,
/// the simulated data center's behaviour in the agent's tests.
final class RecordingFaultControl: SimulatedFaultControl {
    private let state = Mutex<[SimulatedFault]>([])

    var faults: [SimulatedFault] { state.withLock { $0 } }
    var targets: SimulatedFaultTargets { SimulatedFaultTargets(servers: ["s1"], tors: ["t1"], podsets: ["ps1"], datacenters: ["dc1"], links: []) }

    func inject(_ request: SimulatedFaultRequest) throws(SimulatedFaultError) -> SimulatedFault {
        guard request.target == "t1" else { throw SimulatedFaultError("target: '\(request.target)' is not a ToR") }
        return state.withLock { faults in
            let fault = SimulatedFault(id: "f\(faults.count + 1)", kind: .torDown, target: request.target, since: 0)
            faults.append(fault)
            return fault
        }
    }

    func clear(id: String) -> Bool {
        state.withLock { faults in
            let before = faults.count
            faults.removeAll { $0.id == id }
            return faults.count < before
        }
    }

    func clearAll() { state.withLock { $0.removeAll() } }
}

/// A manual probe that answers without sending anything.
struct CannedManualProbe: ManualProbing {
    func probe(_ request: ManualProbeRequest) async throws -> ManualProbeReport {
        ManualProbeReport(kind: request.kind, target: request.target, results: [.init(seq: 1, result: .ok, rttMs: 0.1, detail: nil)])
    }
}
