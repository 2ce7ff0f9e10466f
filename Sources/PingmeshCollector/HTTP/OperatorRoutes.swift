import Foundation
import Hummingbird
import NIOCore
import PingmeshModel

/// What the collector offers an operator beyond the stored results: the web UI, a probe from
/// the collector's host, and, under `pingmesh up` only, fault injection into the simulated data
/// center. Each is off unless given.
public struct OperatorTools: Sendable {
    /// Serve the UI from this directory instead of the embedded copy (for UI work).
    public var uiDirectory: String?
    public var manualProbe: (any ManualProbing)?
    public var faults: (any SimulatedFaultControl)?

    public init(uiDirectory: String? = nil, manualProbe: (any ManualProbing)? = nil, faults: (any SimulatedFaultControl)? = nil) {
        self.uiDirectory = uiDirectory
        self.manualProbe = manualProbe
        self.faults = faults
    }

    /// Changing the fault plan or probing from the collector's host takes an admin token.
    static let authRequirements: [(prefix: String, method: HTTPRequest.Method?, scope: TokenScope)] = [
        ("/v1/probe", .post, .admin), ("/v1/faults", .post, .admin), ("/v1/faults", .delete, .admin),
    ]

    static let routes: [(method: HTTPRequest.Method, path: String)] = [
        (.get, "/"), (.get, "/ui/{file}"), (.post, "/v1/probe"), (.get, "/v1/faults"), (.post, "/v1/faults"), (.delete, "/v1/faults/{id}"),
        (.delete, "/v1/faults"),
    ]

    func add(to router: Router<BasicRequestContext>) {
        WebUIRoutes.add(to: router, directory: uiDirectory)
        let (manualProbe, faults) = (self.manualProbe, self.faults)

        router.post("/v1/probe") { request, _ -> Response in
            guard let manualProbe else { throw HTTPError(.notFound, message: "manual probes are not enabled on this collector") }
            let body = try await request.body.collect(upTo: 16 * 1024)
            let probe = try Self.decode(ManualProbeRequest.self, from: body)
            do {
                return try CollectorAPI.json(try await manualProbe.probe(probe))
            } catch let error as ManualProbeError {
                throw HTTPError(error.busy ? .tooManyRequests : .badRequest, message: error.description)
            } catch let error as ConfigError {
                // The target checked as a pinglist entry is: a bad address or port is the caller's.
                let messages = error.issues.map { $0.description.replacingOccurrences(of: "groups[0].targets[0]", with: "target") }
                throw HTTPError(.badRequest, message: messages.joined(separator: "; "))
            }
        }

        router.get("/v1/faults") { _, _ -> Response in
            // Answered everywhere, so the UI learns whether it may inject without a failed request.
            guard let faults else {
                let none = SimulatedFaultTargets(servers: [], tors: [], podsets: [], datacenters: [], links: [])
                return try CollectorAPI.json(FaultList(enabled: false, faults: [], kinds: [], targets: none))
            }
            return try CollectorAPI.json(
                FaultList(enabled: true, faults: faults.faults, kinds: SimulatedFault.Kind.allCases.map(\.rawValue), targets: faults.targets))
        }
        router.post("/v1/faults") { request, _ -> Response in
            let faults = try Self.enabled(faults)
            let body = try await request.body.collect(upTo: 16 * 1024)
            let fault: SimulatedFault
            do {
                fault = try faults.inject(try Self.decode(SimulatedFaultRequest.self, from: body))
            } catch let error as SimulatedFaultError {
                throw HTTPError(.badRequest, message: error.description)
            }
            var response = try CollectorAPI.json(fault)
            response.status = .created
            return response
        }
        router.delete("/v1/faults") { _, _ -> Response in
            try Self.enabled(faults).clearAll()
            return Response(status: .noContent)
        }
        router.delete("/v1/faults/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? ""
            guard try Self.enabled(faults).clear(id: id) else { throw HTTPError(.notFound, message: "no fault with id '\(id)'") }
            return Response(status: .noContent)
        }
    }

    private static func enabled(_ faults: (any SimulatedFaultControl)?) throws -> any SimulatedFaultControl {
        guard let faults else { throw HTTPError(.notFound, message: "fault injection exists only in pingmesh up's simulated data center") }
        return faults
    }

    /// A JSON body; the error names the field that is missing or of the wrong type.
    private static func decode<Value: Decodable>(_ type: Value.Type, from body: ByteBuffer) throws -> Value {
        do {
            return try ConfigDocument.decode(type, from: Data(buffer: body), file: "request body")
        } catch {
            throw HTTPError(.badRequest, message: error.description.replacingOccurrences(of: "\n", with: "; "))
        }
    }
}

struct FaultList: Encodable {
    /// False on a real collector: only `pingmesh up`'s simulated servers take faults.
    var enabled: Bool
    var faults: [SimulatedFault]
    var kinds: [String]
    var targets: SimulatedFaultTargets
}
