// Every error answer of the daemon is a JSON object with `error`, including the ones Hummingbird
// makes itself (unknown route: 404, wrong method: 405): clients parse one shape. A documented
// path asked with another method is 405 with `Allow` (RouteMethods), even for methods
// Hummingbird answers 404 to (TRACE…).

import Hummingbird

/// Turns HTTP errors thrown below it into JSON error bodies with the same status.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    do {
      return try await next(request, context)
    } catch let error as any HTTPResponseError {
      let status = error.status
      if status == .notFound || status == .methodNotAllowed,
        let allowed = RouteMethods.documented.allowed(path: request.uri.path),
        !allowed.contains(request.method.rawValue)
      {
        var response = DecisionServer.jsonResponse(
          405, DecisionJSON.error("method \(request.method) not allowed on \(request.uri.path)"))
        response.headers[.allow] = allowed.joined(separator: ", ")
        return response
      }
      let message: String
      switch status {
      case .notFound: message = "no route for \(request.method) \(request.uri.path)"
      case .methodNotAllowed: message = "method \(request.method) not allowed on \(request.uri.path)"
      case .contentTooLarge: message = "request body too large"
      default: message = status.reasonPhrase.lowercased()
      }
      return DecisionServer.jsonResponse(Int(status.code), DecisionJSON.error(message))
    }
  }
}
