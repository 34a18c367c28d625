// Authentication and authorization of `/v1/*`: every request there presents
// `Authorization: Bearer KEY`; the key gives a tenant and scopes (`Authenticator`), the route
// needs one scope (`AuthMiddleware.requiredScope`). Other paths (/healthz, /readyz, /metrics,
// /openapi.json) stay open. Refusals are RFC 6750: 401 with a `WWW-Authenticate: Bearer …`
// challenge (no key, a bad or revoked key), 403 with `error="insufficient_scope"`; the body is
// JSON with `error`.

import Hummingbird

/// Refuses `/v1/*` requests without a valid key or without the route's scope.
struct AuthMiddleware: RouterMiddleware {
  typealias Context = SentinelRequestContext
  let authenticator: Authenticator

  /// The scope a `/v1` request needs, or nil for a path outside `/v1` (open). Reads need
  /// `read`; posting events needs `decide`; every other change needs `admin` (so a route added
  /// later is closed by default).
  static func requiredScope(method: String, path: String) -> Scope? {
    guard path == "/v1" || path.hasPrefix("/v1/") else { return nil }
    if method == "POST" && (path == "/v1/decisions" || path == "/v1/decisions/batch") { return .decide }
    if method == "GET" || method == "HEAD" { return .read }
    return .admin
  }

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    guard let scope = Self.requiredScope(method: request.method.rawValue, path: request.uri.path) else {
      return try await next(request, context)
    }
    let principal: Principal
    switch authenticator.authenticate(authorization: request.headers.value(.authorization)) {
    case .success(let p): principal = p
    case .failure(let failure): return Self.refusal(failure)
    }
    guard principal.scopes.contains(scope) else { return Self.refusal(.insufficientScope(scope)) }
    var context = context
    context.principal = principal
    return try await next(request, context)
  }

  /// The JSON answer to a refused request, with its challenge.
  static func refusal(_ failure: AuthFailure) -> Response {
    var response = DecisionServer.jsonResponse(failure.status, DecisionJSON.error(failure.message))
    response.headers[.wwwAuthenticate] = failure.challenge
    return response
  }
}
