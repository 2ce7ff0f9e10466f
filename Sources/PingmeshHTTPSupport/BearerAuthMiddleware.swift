import Hummingbird
import PingmeshModel

/// Requires `Authorization: Bearer TOKEN` with a scope that allows the route. Routes without a
/// requirement (health, metrics, queries) are open. With no tokens configured, agent routes and
/// admin reads need none, and admin operations (an admin route with a method that changes
/// something) are refused with 401 unless the operator opened them (`AccessTokens.openAdmin`):
/// a server that forgot its tokens must not let anyone run tasks or upgrades on the fleet.
public struct BearerAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    public let tokens: AccessTokens
    /// The scope each path needs, by prefix; the first match wins.
    public let requirements: [(prefix: String, method: HTTPRequest.Method?, scope: TokenScope)]

    public init(tokens: AccessTokens, requirements: [(prefix: String, method: HTTPRequest.Method?, scope: TokenScope)]) {
        self.tokens = tokens
        self.requirements = requirements
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let needed = required(for: request) else { return try await next(request, context) }
        if tokens.isOpen {
            if needed == .admin, Self.changesState(request.method), !tokens.openAdmin {
                throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: AccessTokens.closedAdminMessage)
            }
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw HTTPError(
                .unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "missing bearer token (Authorization: Bearer TOKEN)")
        }
        guard let scope = tokens.scope(of: String(header.dropFirst("Bearer ".count))) else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "unknown bearer token")
        }
        guard scope.allows(needed) else {
            throw HTTPError(.forbidden, message: "a token with scope \(scope.rawValue) cannot do this; it needs \(needed.rawValue)")
        }
        return try await next(request, context)
    }

    /// Everything but reads: what an admin route does with POST, PUT, PATCH or DELETE.
    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        method != .get && method != .head && method != .options
    }

    private func required(for request: Request) -> TokenScope? {
        let path = request.uri.path
        return requirements.first { path.hasPrefix($0.prefix) && ($0.method == nil || $0.method == request.method) }?.scope
    }
}

