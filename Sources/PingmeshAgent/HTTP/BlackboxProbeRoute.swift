import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PingmeshModel

/// `GET /probe?module=M&target=T`: blackbox_exporter's multi-target endpoint on the agent
/// (`--blackbox-config FILE`), so Prometheus scrape jobs written for blackbox_exporter or
/// pingmesh-agent work against a pingmesh agent unchanged. One probe per scrape, with the
/// module's settings; the answer is the exposition blackbox_exporter gives (`probe_success`,
/// `probe_duration_seconds`, `probe_ip_protocol`) plus the pingmesh result class.
enum BlackboxProbeRoute {
    static func add<Context: RequestContext>(to router: Router<Context>, modules: [String: BlackboxModule], prober: ManualProbe) {
        router.get("probe") { request, _ -> Response in
            let parameters = request.uri.queryParameters
            // blackbox_exporter's default module.
            let name = parameters.get("module") ?? "http_2xx"
            guard let module = modules[name] else {
                throw HTTPError(.badRequest, message: "module: unknown module '\(name)' (\(modules.keys.sorted().joined(separator: ", ")))")
            }
            guard let settings = module.settings else {
                throw HTTPError(.badRequest, message: "module \(name): \(module.refusal ?? "cannot run here")")
            }
            guard let target = parameters.get("target"), !target.isEmpty else {
                throw HTTPError(.badRequest, message: "target: missing (probe?module=\(name)&target=...)")
            }
            let pinglist: Pinglist
            do {
                pinglist = try ManualProbe.pinglist(
                    kind: settings.kind.rawValue, target: target, timeout: timeout(settings, request: request),
                    payloadBytes: settings.payloadBytes ?? 0, sourceAddress: settings.sourceAddress, ipProtocol: settings.ipProtocol,
                    http: settings.http, dns: settings.dns)
            } catch {
                throw HTTPError(.badRequest, message: "\(error)")
            }
            let started = ContinuousClock.now
            var lines: [String] = []
            var success = false
            var family: Int?
            var lookup: Duration?
            do {
                let run = try await prober.run(pinglist, count: 1)
                success = run.results.allSatisfy { !$0.result.isFailure }
                family = run.address.map { $0.protocol == .inet6 ? 6 : 4 }
                lookup = run.resolveTime
                for result in run.results {
                    lines.append("pingmesh_probe_result{result=\"\(result.result.rawValue)\"} 1")
                    if let detail = result.detail { lines.append("# detail: \(detail.replacingOccurrences(of: "\n", with: " "))") }
                }
            } catch {
                if (error as? ManualProbeError)?.busy == true { throw HTTPError(.tooManyRequests, message: "\(error)") }
                // As blackbox_exporter: a target that cannot be resolved or reached is a failed probe.
                lines.append("# probe failed: \("\(error)".replacingOccurrences(of: "\n", with: " "))")
            }
            let elapsed = (ContinuousClock.now - started)
            var text = """
                # HELP probe_success Displays whether or not the probe was a success
                # TYPE probe_success gauge
                probe_success \(success ? 1 : 0)
                # HELP probe_duration_seconds Returns how long the probe took to complete in seconds
                # TYPE probe_duration_seconds gauge
                probe_duration_seconds \(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)

                """
            if let lookup {
                text += """
                    # HELP probe_dns_lookup_time_seconds Returns the time taken for probe dns lookup in seconds
                    # TYPE probe_dns_lookup_time_seconds gauge
                    probe_dns_lookup_time_seconds \(lookup.seconds)

                    """
            }
            if let family {
                text += """
                    # HELP probe_ip_protocol Specifies whether probe ip protocol is IP4 or IP6
                    # TYPE probe_ip_protocol gauge
                    probe_ip_protocol \(family)

                    """
            }
            text += """
                # HELP pingmesh_probe_result The pingmesh result class of the probe.
                # TYPE pingmesh_probe_result gauge

                """
            text += lines.map { $0 + "\n" }.joined()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// The module's timeout, within Prometheus' scrape timeout (less half a second for the
    /// answer, as blackbox_exporter leaves); 5 s when neither says.
    private static func timeout(_ settings: BlackboxModule.Settings, request: Request) -> Duration {
        var timeout = settings.timeout ?? .seconds(5)
        if let header = request.headers[HTTPField.Name("X-Prometheus-Scrape-Timeout-Seconds")!], let scrape = Double(header), scrape > 0.6 {
            timeout = min(timeout, .milliseconds(Int64((scrape - 0.5) * 1000)))
        }
        return timeout
    }
}
