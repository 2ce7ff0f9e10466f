import AsyncHTTPClient
import NIOSSL
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PingmeshModel
import Synchronization

/// Traceroute on demand: when a network incident opens, the collector asks the source agents of
/// its worst pairs (through the controller's task API, admin token) for a TCP or UDP traceroute
/// with a failing probe's 5-tuple, and attaches the hop where loss starts. Agents run tasks
/// under their own caps; here at most `maximumPairs` pairs per incident and
/// `maximumConcurrentIncidents` incidents at once are traced.
public final class TracerouteRequester: Sendable {
    public struct Configuration: Sendable {
        /// The controller's base URL.
        public var controller: String
        /// An admin-scope token, when the controller requires tokens.
        public var token: String?
        public var maximumPairs: Int
        public var maximumConcurrentIncidents: Int
        /// How long to wait for the agents' results.
        public var wait: Duration
        public var maxHops: Int
        /// Source ports traced beside each failing 5-tuple, so that paths that get through clear
        /// the hops they cross.
        public var comparisonPorts: Int
        /// Failing 5-tuples (distinct source ports) traced per pair.
        public var failingPortsPerPair: Int
        /// How to reach an HTTPS controller (`--ca-file`, and `--client-cert`/`--client-key` when
        /// it requires mutual TLS); nil: the system's trust store, no certificate.
        public var tls: TLSConfiguration?

        public init(
            controller: String, token: String? = nil, maximumPairs: Int = 4, maximumConcurrentIncidents: Int = 4, wait: Duration = .seconds(120),
            maxHops: Int = 16, comparisonPorts: Int = 3, failingPortsPerPair: Int = 2, tls: TLSConfiguration? = nil
        ) {
            self.comparisonPorts = comparisonPorts
            self.failingPortsPerPair = max(1, failingPortsPerPair)
            self.tls = tls
            self.controller = controller.hasSuffix("/") ? String(controller.dropLast()) : controller
            self.token = token
            self.maximumPairs = maximumPairs
            self.maximumConcurrentIncidents = maximumConcurrentIncidents
            self.wait = wait
            self.maxHops = maxHops
        }
    }

    public let configuration: Configuration
    private let client: HTTPClient
    /// A client made here for TLS is shut down here (AsyncHTTPClient traps on one that is not).
    private let ownsClient: Bool
    private let logger: Logger
    private let running = Mutex(0)

    public init(configuration: Configuration, client: HTTPClient = .shared, logger: Logger) {
        self.configuration = configuration
        if let tls = configuration.tls {
            var settings = HTTPClient.Configuration()
            settings.tlsConfiguration = tls
            self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
            ownsClient = true
        } else {
            self.client = client
            ownsClient = false
        }
        self.logger = logger
    }

    deinit {
        // Without waiting: a deinit may run on an event loop, where a blocking shutdown deadlocks.
        if ownsClient { client.shutdown { _ in } }
    }

    /// Whether the incident is worth a traceroute: a network fault with pairs to trace.
    public static func wants(_ incident: Incident) -> Bool {
        incident.network && !pairs(of: incident).isEmpty
    }

    /// "a -> b: 3 of 6 lost" -> (a, b), for every example the finding gives.
    static func pairs(of incident: Incident) -> [(source: String, destination: String)] {
        incident.evidence.examples.compactMap { example in
            let names = example.split(separator: ":", maxSplits: 1).first.map(String.init) ?? example
            let parts = names.components(separatedBy: " -> ")
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
            return (parts[0].trimmingCharacters(in: .whitespaces), parts[1].trimmingCharacters(in: .whitespaces))
        }
    }

    /// Claims a slot for one incident; false when `maximumConcurrentIncidents` are being traced.
    public func begin() -> Bool {
        running.withLock { running in
            guard running < configuration.maximumConcurrentIncidents else { return false }
            running += 1
            return true
        }
    }

    public func end() { running.withLock { $0 -= 1 } }

    /// Traces the incident's worst pairs, side by side: per pair the failing probe's 5-tuple
    /// (or an entry saying why not), then `comparisonPorts` other source ports of the same pair,
    /// whose paths tell which hops still carry traffic.
    public func traceroutes(for incident: Incident, store: any ResultStore) async -> [IncidentTraceroute] {
        let pairs = Array(Self.pairs(of: incident).prefix(configuration.maximumPairs))
        // Agents side by side, each agent's pairs one after another: an agent runs one trace
        // at a time, so its runs never contend for the same source ports.
        let bySource = Dictionary(grouping: pairs.indices, by: { pairs[$0].source })
        let traced = await withTaskGroup(of: [(Int, [IncidentTraceroute])].self) { group in
            for indices in bySource.values {
                group.addTask {
                    var results: [(Int, [IncidentTraceroute])] = []
                    for index in indices {
                        results.append((index, await self.trace(pairs[index].source, pairs[index].destination, incident: incident, store: store)))
                    }
                    return results
                }
            }
            var results: [Int: [IncidentTraceroute]] = [:]
            for await batch in group {
                for (index, traces) in batch { results[index] = traces }
            }
            return results
        }
        return pairs.indices.flatMap { traced[$0] ?? [] }
    }

    private func trace(_ source: String, _ destination: String, incident: Incident, store: any ResultStore) async -> [IncidentTraceroute] {
        // The newest failing TCP or UDP probe of the pair while the incident lasted (a timeout,
        // or a handshake that needed a resent SYN): its target and source port are the 5-tuple
        // to follow.
        // From three windows before the incident's first: faint drops are named from three.
        let query = FailureQuery(
            source: source, destination: destination, from: (incident.startedAt - 180) * 1000, to: (incident.lastSeenAt + 120) * 1000, limit: 50)
        let failures: [StoredFailure]
        do {
            failures = try await store.failures(query).filter {
                ($0.kind == .tcp || $0.kind == .udp) && ProbeTarget.endpoint(ofIdentifier: $0.target) != nil
            }
        } catch {
            return [IncidentTraceroute(source: source, destination: destination, protocol: "", target: "", error: "reading failures: \(error)")]
        }
        guard let failure = failures.first, let (host, port) = ProbeTarget.endpoint(ofIdentifier: failure.target) else {
            return [
                IncidentTraceroute(
                    source: source, destination: destination, protocol: "", target: "",
                    error: "no failing TCP or UDP probe of this pair on record to take the 5-tuple from")
            ]
        }
        // The newest failing 5-tuples of the pair (distinct source ports of the same target),
        // each one path: more failing paths make a clearer vote.
        var failingPorts: [Int] = []
        for other in failures where other.target == failure.target && other.kind == failure.kind {
            guard let port = other.sourcePort, !failingPorts.contains(port) else { continue }
            failingPorts.append(port)
            if failingPorts.count == configuration.failingPortsPerPair { break }
        }
        let transport: TracerouteRequest.TransportProtocol = failure.kind == .udp ? .udp : .tcp
        var failing: [IncidentTraceroute] = []
        do {
            let (taskID, result) = try await run(source: source, request: request(transport, host: host, port: port, sourcePorts: failingPorts))
            for path in result.paths {
                var evidence = IncidentTraceroute(
                    source: source, destination: destination, protocol: transport.rawValue, target: failure.target, sourcePort: path.sourcePort,
                    taskID: taskID, failing: true)
                evidence.record(path)
                failing.append(evidence)
            }
            if failing.isEmpty {
                failing.append(
                    IncidentTraceroute(
                        source: source, destination: destination, protocol: transport.rawValue, target: failure.target,
                        sourcePort: failingPorts.first, taskID: taskID, error: result.error))
            }
        } catch {
            failing.append(
                IncidentTraceroute(
                    source: source, destination: destination, protocol: transport.rawValue, target: failure.target, sourcePort: failingPorts.first,
                    error: "\(error)"))
        }
        var traces = failing
        guard configuration.comparisonPorts > 0, failing.contains(where: { $0.error == nil }) else { return traces }
        // Other 5-tuples of the same pair, in a task of their own: a port that happens to be in
        // use fails that task only, never the failing path's.
        let ports = Self.comparisonPorts(configuration.comparisonPorts, avoiding: Set(failingPorts), seed: "\(source)>\(destination)")
        if let (taskID, result) = try? await run(source: source, request: request(transport, host: host, port: port, sourcePorts: ports)) {
            for path in result.paths {
                var other = IncidentTraceroute(
                    source: source, destination: destination, protocol: transport.rawValue, target: failure.target, sourcePort: path.sourcePort,
                    taskID: taskID, failing: !path.reachedDestination)
                other.record(path)
                traces.append(other)
            }
        }
        return traces
    }

    private func request(_ transport: TracerouteRequest.TransportProtocol, host: String, port: Int, sourcePorts: [Int]) -> TracerouteRequest {
        // Inside a fabric a hop answers in well under a millisecond: two probes of 500 ms each
        // keep a dark path's five silent hops to about 5 s.
        TracerouteRequest(
            protocol: transport, target: host, port: port, sourcePorts: sourcePorts, maxHops: configuration.maxHops, probesPerHop: 2,
            timeoutMilliseconds: 500)
    }

    /// Runs a traceroute task on agent `source` and waits for its paths.
    private func run(source: String, request: TracerouteRequest) async throws -> (taskID: String, result: (paths: [TraceroutePath], error: String?)) {
        let created = try await send(
            .POST, "/v1/tasks",
            body: try JSONEncoder().encode(TaskSpec(selector: "name=\(source)", action: .traceroute(request), expiresInSeconds: 120)))
        var status = try JSONDecoder().decode(TaskStatus.self, from: created)
        let deadline = ContinuousClock.now + configuration.wait
        while !status.progress.finished, ContinuousClock.now < deadline {
            try await Task.sleep(for: .seconds(1))
            status = try JSONDecoder().decode(TaskStatus.self, from: try await send(.GET, "/v1/tasks/\(status.id)"))
        }
        guard let outcome = status.agents.first?.outcome else {
            return (
                status.id,
                ([], "agent \(source) sent no result within \(configuration.wait) (state \(status.agents.first?.state.rawValue ?? "?"))")
            )
        }
        let paths = outcome.traceroute?.paths ?? []
        return (status.id, (paths, paths.isEmpty ? outcome.error ?? "the agent's result holds no path" : nil))
    }

    /// `count` source ports for comparison paths, stable for a pair (so repeated incidents trace
    /// the same 5-tuples), spread over the upper ephemeral range and never the failing port.
    static func comparisonPorts(_ count: Int, avoiding failing: Set<Int>, seed: String) -> [Int] {
        var random = SplitMix64(seed: StableHash.fnv1a64(seed))
        var ports: [Int] = []
        while ports.count < count {
            let port = 40_000 + Int(random.next() % 20_000)
            if !failing.contains(port) && !ports.contains(port) { ports.append(port) }
        }
        return ports
    }

    func send(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> Data {
        var request = HTTPClientRequest(url: configuration.controller + path)
        request.method = method
        if let token = configuration.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let data = Data(buffer: try await response.body.collect(upTo: 4 << 20))
        guard (200..<300).contains(response.status.code) else {
            throw TracerouteRequestFailure(description: "controller answered \(response.status.code): \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        return data
    }
}

struct TracerouteRequestFailure: Error, CustomStringConvertible {
    var description: String
}
