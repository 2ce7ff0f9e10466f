import Hummingbird
import NIOCore

/// The HTTP responder: `GET /ping` answers with `size` bytes (default `defaultPayloadBytes`,
/// capped), `POST /ping` echoes the body (capped). Other agents time it as an HTTP probe.
public enum PingRoute {
    public static func add<Context: RequestContext>(
        to router: Router<Context>, limits: ResponderLimits, defaultPayloadBytes: Int = 0
    ) {
        router.get("ping") { request, _ -> Response in
            let size: Int
            if let asked = request.uri.queryParameters.get("size") {
                guard let value = Int(asked), value >= 0 else {
                    throw HTTPError(.badRequest, message: "query parameter size: '\(asked)' is not a non-negative integer")
                }
                guard value <= limits.maxPayloadBytes else {
                    throw HTTPError(
                        .badRequest, message: "query parameter size: \(value) is above the maximum of \(limits.maxPayloadBytes) bytes")
                }
                size = value
            } else {
                size = min(defaultPayloadBytes, limits.maxPayloadBytes)
            }
            return response(payload: ByteBuffer(repeating: UInt8(ascii: "p"), count: size))
        }
        router.post("ping") { request, _ -> Response in
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: limits.maxPayloadBytes)
            } catch {
                throw HTTPError(.contentTooLarge, message: "body is above the maximum of \(limits.maxPayloadBytes) bytes")
            }
            return response(payload: body)
        }
    }

    private static func response(payload: ByteBuffer) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/octet-stream", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: payload)
        )
    }
}
