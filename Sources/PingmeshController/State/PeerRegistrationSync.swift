import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PingmeshModel

/// Pushes this replica's registrations to its peers (`pingmesh controller --peer URL`) every
/// `period`, so controller replicas behind one address agree on the self-registered agents
/// without a database of their own: each replica sends what it knows, each merges what it gets
/// (`ControllerState.mergePeerRegistrations`), and within one period of a registration every
/// replica plans the same mesh. A replica that restarts learns the others' registrations at their
/// next push. A push that fails is logged and counted, and the next one carries the whole state.
struct PeerRegistrationSync: Sendable {
    struct Configuration: Sendable {
        var peers: [String]
        /// A token the peers accept on agent routes (`--peer-token-file`).
        var token: String?
        var period: Duration
    }

    let configuration: Configuration
    let client: HTTPClient
    let logger: Logger

    func run(state: ControllerState) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.period)
            guard !Task.isCancelled else { return }
            await pushOnce(state: state)
        }
    }

    func pushOnce(state: ControllerState) async {
        let entries = state.registrationsForPeers()
        guard !entries.isEmpty, let body = try? JSONEncoder().encode(PeerRegistrations(entries: entries)) else { return }
        await withTaskGroup(of: Void.self) { group in
            for peer in configuration.peers {
                group.addTask { await push(body, to: peer, count: entries.count, metrics: state.metrics) }
            }
        }
    }

    private func push(_ body: Data, to peer: String, count: Int, metrics: ControllerMetrics) async {
        var request = HTTPClientRequest(url: peer.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/v1/peer-registrations")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token = configuration.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(data: body))
        do {
            let response = try await client.execute(request, timeout: .seconds(10))
            let text = String(buffer: try await response.body.collect(upTo: 64 * 1024))
            guard response.status == .ok else {
                metrics.peerPush(ok: false)
                logger.warning(
                    "peer refused the registrations", metadata: ["peer": "\(peer)", "status": "\(response.status.code)", "reason": "\(text)"])
                return
            }
            metrics.peerPush(ok: true)
            logger.debug("registrations pushed to peer", metadata: ["peer": "\(peer)", "agents": "\(count)"])
        } catch {
            metrics.peerPush(ok: false)
            logger.warning("registrations could not reach peer", metadata: ["peer": "\(peer)", "error": "\(error)"])
        }
    }
}
