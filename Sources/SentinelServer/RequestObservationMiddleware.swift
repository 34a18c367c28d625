// The outermost middleware: gives every request an id, and every answer the id
// (`X-Request-Id`), the security headers and a JSON body on failure; then records the answer in
// the metrics and writes one access-log line.
//
//   request ─► id (the client's `X-Request-Id` if well-formed, else a fresh one)
//           ─► next (host allow-list, rate limit, routes…)
//           ─► an unexpected error becomes a 500 with a JSON body (logged with the id)
//           ─► X-Request-Id + security headers ─► metrics ─► access log line
//
// The access log has the method, the route pattern, the status and the duration — never the
// body, the query, the `Authorization` header or any other header value.

import Hummingbird
import HTTPTypes
import Logging

/// Request ids, security headers, metrics and the access log.
struct RequestObservationMiddleware: RouterMiddleware {
  typealias Context = SentinelRequestContext

  let metrics: ServerMetrics
  let logger: Logger

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    let clock = ContinuousClock()
    let start = clock.now
    var context = context
    let id = Self.requestID(from: request.headers.value(.xRequestID))
    context.requestID = id
    var response: Response
    do {
      response = try await next(request, context)
    } catch let error as any HTTPResponseError {
      response = DecisionServer.jsonResponse(
        Int(error.status.code), DecisionJSON.error(Self.message(error.status)))
    } catch {
      logger.error(
        "unexpected error",
        metadata: ["request_id": "\(id)", "error": "\(String(describing: type(of: error)))"])
      response = DecisionServer.jsonResponse(500, DecisionJSON.error("internal error (request id \(id))"))
    }
    response.headers[.xRequestID] = id
    SecurityHeaders.apply(to: &response.headers)
    let status = Int(response.status.code)
    let route = context.endpointPath ?? "unmatched"
    let (s, attos) = (clock.now - start).components
    let nanos = s * 1_000_000_000 + attos / 1_000_000_000
    metrics.recordRequest(route: route, status: status, nanoseconds: nanos)
    if let kind = Self.kind(ofStatus: status) { metrics.recordError(kind: kind.rawValue) }
    logger.info(
      "request",
      metadata: [
        "request_id": "\(id)", "method": "\(request.method.rawValue)", "route": "\(route)",
        "status": "\(status)", "duration_us": "\(nanos / 1000)",
      ])
    return response
  }

  /// The error kind the middleware counts for `status`; the routes count the kinds they know
  /// better themselves (rejected events, malformed batches, store failures).
  static func kind(ofStatus status: Int) -> ErrorKind? {
    switch status {
    case 404: return .notFound
    case 405: return .methodNotAllowed
    case 408: return .requestTimeout
    case 413: return .bodyTooLarge
    case 421: return .hostNotAllowed
    case 429: return .rateLimited
    case 500...: return status == 503 ? nil : .internalError
    default: return nil
    }
  }

  /// A message for an HTTP error thrown below the routes' own handling.
  static func message(_ status: HTTPResponse.Status) -> String {
    status.reasonPhrase.isEmpty ? "error \(status.code)" : status.reasonPhrase.lowercased()
  }

  /// The client's request id when it is 1–64 characters of `A-Z a-z 0-9 . _ -`, else a fresh
  /// random one (16 hex digits): a client cannot inject text into logs through it.
  static func requestID(from header: String?) -> String {
    if let header, (1...64).contains(header.utf8.count),
      header.utf8.allSatisfy({ isIDByte($0) })
    {
      return header
    }
    return hex16(UInt64.random(in: .min ... .max))
  }

  /// `n` as 16 lowercase hex digits, zero-padded (written straight into the string's storage).
  static func hex16(_ n: UInt64) -> String {
    String(unsafeUninitializedCapacity: 16) { out in
      for i in 0..<16 {
        let nibble = UInt8(truncatingIfNeeded: n >> UInt64(60 - 4 * i)) & 0x0F
        out[i] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
      }
      return 16
    }
  }

  static func isIDByte(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E
      || b == 0x5F || b == 0x2D
  }
}

extension HTTPField.Name {
  /// `X-Request-Id`.
  // NOTE: stored, not computed: building the name (validation, lowercasing) on each of the two
  // reads per request was ~1 µs of every request (docs/performance.md, "The commit thread's
  // Swift work, header reads, and resident memory").
  static let xRequestID: Self = SecurityHeaders.name("X-Request-Id")
}
