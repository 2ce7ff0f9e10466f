import AsyncHTTPClient
import Foundation
import NIOCore
import PingmeshModel

extension TaskPoller {
    /// Hands an offer to the upgrader; a failed install is reported to the controller that made
    /// the offer, which marks the agent failed at once instead of after its health timeout.
    func upgrade(_ offer: UpgradeOffer, from controller: String) async -> SelfUpgrader.Outcome {
        guard let upgrader else {
            logger.debug("upgrade offer ignored: self-upgrade is off", metadata: ["version": "\(offer.version)"])
            return .busy
        }
        logger.info("upgrade offered", metadata: ["controller": "\(controller)", "version": "\(offer.version)", "url": "\(offer.url)"])
        let outcome = await upgrader.handle(offer)
        if case .failed(let report) = outcome { await reportUpgradeFailure(report, to: controller) }
        return outcome
    }

    /// `POST /v1/agent-upgrade/{agent}`, tried a few times.
    func reportUpgradeFailure(_ report: UpgradeFailureReport, to controller: String) async {
        let name = agentName.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? agentName
        for attempt in 0..<3 {
            if attempt > 0 { try? await Task.sleep(for: .seconds(attempt)) }
            var request = HTTPClientRequest(url: "\(controller)/v1/agent-upgrade/\(name)")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            do {
                request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(report)))
                let response = try await client.execute(request, timeout: .seconds(10))
                _ = try await response.body.collect(upTo: 64 * 1024)
                if (200..<500).contains(response.status.code) { return }
            } catch {
                logger.debug("upgrade failure report failed", metadata: ["controller": "\(controller)", "error": "\(error)"])
            }
        }
        logger.warning("upgrade failure report lost after 3 attempts", metadata: ["controller": "\(controller)"])
    }
}
