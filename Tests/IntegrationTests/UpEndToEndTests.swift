import Foundation
import PingmeshTestSupport
import Testing

/// `pingmesh up` as a newcomer runs it: 64 simulated servers in two data centers, then one ToR
/// taken down with `pingmesh fault inject`. Runs alone (scripts/test.sh runs the "EndToEnd"
/// suites after the rest): 64 agents load both cores, which would skew timing elsewhere.
@Suite("EndToEnd: pingmesh up with an injected fault", .serialized)
struct UpEndToEndTests {
    /// Ports no other test uses; every simulated agent listens on its own 127.1.x.y address.
    static let (http, tcp, udp, controller, collector) = (39300, 39301, 39302, 39310, 39320)
    static let collectorURL = "http://127.0.0.1:\(collector)"

    @Test(
        "a ToR taken down and another ToR black-holing one ECMP path: incidents name both within minutes, and the ToR matrix shows the dead one's column lost",
        .requires(.pingmeshBinary))
    func torDown() async throws {
        let binary = try PingmeshBinary.require()
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("pingmesh-up-e2e-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let up = try BackgroundProcess(
            binary,
            [
                "up", "--simulate", "64", "--data", data, "--http-port", "\(Self.http)", "--tcp-port", "\(Self.tcp)", "--udp-port", "\(Self.udp)",
                "--controller-listen", "127.0.0.1:\(Self.controller)", "--collector-listen", "127.0.0.1:\(Self.collector)",
            ],
            logPath: "\(data)/up.log")
        defer { up.terminate() }

        // Every agent has uploaded once: the mesh is up and the collector knows its placements.
        let started = Date()
        var agents = 0
        while agents < 64, Date().timeIntervalSince(started) < 120 {
            try await Task.sleep(for: .seconds(2))
            agents = ((try? await HTTPJSON.get("\(Self.collectorURL)/v1/agents"))?["agents"] as? [Any])?.count ?? 0
        }
        try #require(agents == 64, "only \(agents) of 64 agents uploaded within 2 minutes; log:\n\(up.logTail())")

        // Admin operations are closed without a token: up writes its admin token under --data.
        let tokenFile = "\(data)/admin-token"
        let adminToken = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(adminToken.count == 32 && up.logTail(400).contains("#token=\(adminToken)"), "the banner's UI address carries the token")
        let emptyTokenFile = "\(data)/empty-token"
        FileManager.default.createFile(atPath: emptyTokenFile, contents: Data())
        let refused = try await Command.run(
            binary, ["fault", "inject", "tor-down", "dc1-tor3", "--collector", Self.collectorURL, "--token-file", emptyTokenFile])
        #expect(refused.status != 0 && refused.stderr.contains("holds no token"), "\(refused.stdout)\(refused.stderr)")

        let listing = try await Command.run(binary, ["agents", "--collector", Self.collectorURL])
        #expect(listing.status == 0 && listing.stdout.contains("64 agents, 0 stale"), "pingmesh agents: \(listing.stdout)\(listing.stderr)")

        // An on-demand task: the eight agents under dc1-tor1 probe a server of dc2 now, through
        // the controller's task API and the agents' long polls.
        let planned = try await HTTPJSON.get("http://127.0.0.1:\(Self.controller)/v1/agents", token: adminToken)["agents"] as? [[String: Any]]
        let remote = try #require(planned?.last?["addresses"] as? [String]).first ?? ""
        let task = try await Command.run(
            binary,
            [
                "task", "run", "--select", "tor=dc1-tor1", "probe", "tcp", "\(remote):\(Self.tcp)", "--count", "2", "--wait", "30",
                "--controller", "http://127.0.0.1:\(Self.controller)", "--token-file", tokenFile,
            ])
        #expect(task.status == 0 && task.stdout.contains("8 agents: 8 done"), "pingmesh task run: \(task.stdout)\(task.stderr)")
        // The controller hears every agent's heartbeat with its task polls.
        let fleet = try await Command.run(binary, ["agents", "--controller", "http://127.0.0.1:\(Self.controller)", "--token-file", tokenFile])
        #expect(fleet.status == 0 && fleet.stdout.contains("64 agents, 0 stale"), "pingmesh agents --controller: \(fleet.stdout)\(fleet.stderr)")

        let tor = "dc1-tor3"
        let inject = try await Command.run(binary, ["fault", "inject", "tor-down", tor, "--collector", Self.collectorURL, "--token-file", tokenFile])
        try #require(inject.status == 0, "pingmesh fault inject: \(inject.stderr)")
        #expect(inject.stdout.hasPrefix("injected ") && inject.stdout.contains(" tor-down  dc1-tor3  since "), "\(inject.stdout)")
        let listed = try await Command.run(binary, ["fault", "list", "--collector", Self.collectorURL, "--token-file", tokenFile])
        #expect(listed.status == 0 && listed.stdout.contains("1 active:") && listed.stdout.contains("tors:"), "\(listed.stdout)\(listed.stderr)")
        // In the other data center at the same time: one source port (one of the three ECMP
        // paths the agents rotate over) black-holed for half the pairs through dc2-tor2.
        let portTor = "dc2-tor2"
        let port = try await Command.run(
            binary, ["fault", "inject", "port-black-hole", portTor, "--port", "20001", "--collector", Self.collectorURL, "--token-file", tokenFile])
        try #require(port.status == 0, "pingmesh fault inject: \(port.stderr)")
        let injected = Date()

        // The newcomer's promise: the incident names the fault within two analysed minutes; allow
        // for the minute in progress, its settling time and a loaded machine. The minute the ToR
        // went down in is only partly dark (its servers reported before), so the incident may
        // open as packet loss at the ToR; the first whole minute makes it "tor-down".
        var named: TimeInterval?
        var incident: [String: Any]?
        var portIncident: [String: Any]?
        while incident == nil || portIncident == nil, Date().timeIntervalSince(injected) < 300 {
            try await Task.sleep(for: .seconds(5))
            let open = (try? await HTTPJSON.get("\(Self.collectorURL)/v1/incidents?state=open"))?["incidents"] as? [[String: Any]] ?? []
            let naming = open.first { ($0["scope"] as? String)?.hasPrefix("ToR \(tor) ") == true }
            if naming != nil, named == nil { named = Date().timeIntervalSince(injected) }
            if incident == nil, naming?["kind"] as? String == "tor-down" {
                incident = naming
                print("pingmesh up e2e: '\(naming?["scope"] ?? "")' named \(Int(named ?? 0)) s after the fault, tor-down after \(Int(Date().timeIntervalSince(injected))) s")
            }
            let portNaming = open.first { ($0["scope"] as? String)?.hasPrefix("ToR \(portTor) ") == true && $0["kind"] as? String == "port-black-hole" }
            if portIncident == nil, portNaming != nil {
                portIncident = portNaming
                print("pingmesh up e2e: '\(portNaming?["scope"] ?? "")' port-black-hole after \(Int(Date().timeIntervalSince(injected))) s")
            }
        }
        let found = try #require(incident, "no open tor-down incident names \(tor) within 5 minutes; log:\n\(up.logTail())")
        #expect(portIncident != nil, "no open port-black-hole incident names \(portTor) within 5 minutes")
        #expect(found["network"] as? Bool == true)
        // No loss or reachability incident names anything outside the ToR, the minute the fault
        // began included; its own servers may be named that minute, when some of them went dark
        // before any probe to them got through. (Latency incidents are left out: 64 agents on one
        // shared machine's loopback do see scheduling delays above the 5 ms SLA, and naming them
        // is right.)
        let torServers = (16..<24).map { String(format: "server sim-%03d", $0) }
        let others = ((try? await HTTPJSON.get("\(Self.collectorURL)/v1/incidents?state=all"))?["incidents"] as? [[String: Any]] ?? [])
            .filter { incident in
                let scope = incident["scope"] as? String ?? ""
                return !scope.contains(tor) && !scope.contains(portTor) && !torServers.contains(scope) && incident["kind"] as? String != "latency"
            }
        #expect(others.isEmpty, "incidents that name something else: \(others.map { "\($0["kind"] ?? "") \($0["scope"] ?? "")" })")

        // The minute the incident was last seen in: every ToR that probes dc1-tor3 lost every probe to it.
        let window = try #require(found["last_seen_at"] as? Int)
        let matrix = try await HTTPJSON.get("\(Self.collectorURL)/v1/matrix?level=tor&statistic=loss&resolution=1m&from=\(window)&to=\(window + 60)")
        let sources = matrix["sources"] as? [String] ?? []
        let destinations = matrix["destinations"] as? [String] ?? []
        let cells = matrix["cells"] as? [[String: Any]] ?? []
        let column = try #require(destinations.firstIndex(of: tor), "no column for \(tor) in \(destinations)")
        let intoTor = cells.filter { $0["destination"] as? Int == column && sources[$0["source"] as! Int] != tor }
        // Its data center's three other ToRs probe it (the ToR-level complete graph).
        #expect(intoTor.count >= 3, "only \(intoTor.count) ToRs probed \(tor)")
        for cell in intoTor {
            #expect(cell["value"] as? Double == 1, "\(sources[cell["source"] as! Int]) -> \(tor): loss \(cell["value"] ?? "none")")
        }
        let portColumn = destinations.firstIndex(of: portTor)
        let elsewhere = cells.filter {
            $0["destination"] as? Int != column && $0["destination"] as? Int != portColumn && ![tor, portTor].contains(sources[$0["source"] as! Int])
        }
        #expect(!elsewhere.isEmpty && elsewhere.allSatisfy { ($0["value"] as? Double ?? 1) < 0.05 }, "pairs away from the faults lose probes too")

        // The dead ToR's eight agents have been silent since the fault: pingmesh agents flags them.
        // (Their last upload closed the 20 s window the fault fell in; live agents upload every 20 s.)
        let silentFor = Int(Date().timeIntervalSince(injected)) - 45
        let stale = try await Command.run(binary, ["agents", "--collector", Self.collectorURL, "--stale", "\(max(40, silentFor))"])
        #expect(stale.status == 1 && stale.stdout.contains("64 agents, 8 stale"), "pingmesh agents: \(stale.stdout)\(stale.stderr)")
        #expect(stale.stdout.split(separator: "\n").prefix(9).dropFirst().allSatisfy { $0.hasPrefix("STALE") && $0.contains("sim-0") })

        let clear = try await Command.run(binary, ["fault", "clear", "--collector", Self.collectorURL, "--token-file", tokenFile])
        #expect(clear.status == 0 && clear.stdout.contains("cleared every fault"))
        #expect(await up.stop() == 0, "pingmesh up did not stop cleanly on SIGTERM; log:\n\(up.logTail())")
    }
}
