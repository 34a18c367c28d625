// The scoring daemon's HTTP side (Hummingbird 2), composed with ServiceLifecycle:
//
//   ServiceGroup ─► DecisionService (commits)  ◄── shut down last: commits what is pending
//               └─► HTTP server                ◄── shut down first: stops accepting, finishes
//                                                  in-flight requests (each waits for its commit)
//
// Routes (docs/operations.md, docs/openapi.yaml):
//   POST /v1/decisions           one JSON event → its decision (200 only after the commit)
//   POST /v1/decisions/batch     a JSON array or NDJSON → an array of decisions and errors
//   GET  /v1/decisions/{id}      the stored decision line
//   GET  /healthz, GET /readyz   alive; ready (bundle loaded, database writable)
//   GET  /metrics                Prometheus text (ServerMetrics)
//   GET  /openapi.json           the API's OpenAPI document (docs/openapi.yaml)
//   GET|POST /v1/bench/constant  a constant answer, only with --bench-constant-route (bench/http.sh)
//
// Middleware, outermost first: RequestObservation (request id, security headers, metrics,
// access log, 500s as JSON) ─► HostAllowList (421) ─► RateLimit (429) ─► JSONError (404/405).
// Every error answer is a JSON object with `error` naming the problem.

import Foundation
import Hummingbird
import NIOCore
public import Logging
import SentinelModel
public import SentinelRuntime
public import SentinelState
import ServiceLifecycle

/// Where and how the daemon listens.
public struct ServerConfiguration: Sendable {
  /// The host to bind (`127.0.0.1`).
  public var host: String
  /// The port to bind; 0 picks a free one (reported to `onListening`).
  public var port: Int
  /// The largest request body accepted (413 above it).
  public var maxBodyBytes: Int
  /// Group-commit tuning.
  public var decisions: DecisionServiceOptions
  /// The `Host` names answered (others get 421).
  public var allowedHosts: HostAllowList
  /// Requests per second per key on `/v1/` routes (0: no limit).
  public var rateLimit: Double
  /// Requests a key may send at once.
  public var rateBurst: Double
  /// A connection with no complete request part for this long is closed (slow or idle clients;
  /// this also bounds the time to send the request head).
  public var idleTimeout: Swift.Duration
  /// A request body not received within this long gets 408 and the connection is closed.
  public var bodyTimeout: Swift.Duration
  /// Serves `GET|POST /v1/bench/constant` (the HTTP stack's ceiling, for bench/http.sh).
  public var benchConstantRoute: Bool

  /// A configuration; the defaults are those of `sentinel serve`.
  public init(
    host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 64 * 1024,
    decisions: DecisionServiceOptions = .init(), allowedHosts: HostAllowList? = nil,
    rateLimit: Double = 1000, rateBurst: Double = 2000, idleTimeout: Swift.Duration = .seconds(30),
    bodyTimeout: Swift.Duration = .seconds(10), benchConstantRoute: Bool = false
  ) {
    self.host = host
    self.port = port
    self.maxBodyBytes = maxBodyBytes
    self.decisions = decisions
    self.allowedHosts = allowedHosts ?? .defaults(listeningOn: host)
    self.rateLimit = rateLimit
    self.rateBurst = rateBurst
    self.idleTimeout = idleTimeout
    self.bodyTimeout = bodyTimeout
    self.benchConstantRoute = benchConstantRoute
  }
}

/// The scoring daemon: one tenant, one bundle, one state database.
public enum DecisionServer {
  /// Runs the daemon until SIGTERM or SIGINT, then shuts down gracefully: stops accepting,
  /// finishes in-flight requests, commits what is pending, closes the database and returns.
  /// `onListening` gets the bound port once the server accepts connections.
  public static func run(
    bundle: LoadedBundle, store: SQLiteStateStore, configuration: ServerConfiguration,
    logger: Logger = Logger(label: "sentinel"),
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
  ) async throws {
    let metrics = ServerMetrics(bundle: bundle)
    let service = DecisionService(
      bundle: bundle, store: store, options: configuration.decisions, logger: logger, metrics: metrics)
    let router = makeRouter(service: service, metrics: metrics, configuration: configuration, logger: logger)
    let port = configuration.port
    let (s, attos) = configuration.idleTimeout.components
    let idle = TimeAmount.nanoseconds(s * 1_000_000_000 + attos / 1_000_000_000)
    let app = Application(
      router: router,
      server: .http1(
        configuration: .init(
          idleTimeout: idle,
          httpDecoderConfiguration: .init(maxHeaderFieldSize: 8 * 1024, maxHeaderListSize: 16 * 1024))),
      configuration: .init(address: .hostname(configuration.host, port: port), serverName: "sentinel"),
      services: [service],
      onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
      logger: logger)
    try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
  }

  /// The daemon's routes over `service`, behind the hardening middleware.
  static func makeRouter(
    service: DecisionService, metrics: ServerMetrics, configuration: ServerConfiguration, logger: Logger
  ) -> Router<SentinelRequestContext> {
    let json = DecisionJSON(bundle: service.bundle)
    let maxBodyBytes = configuration.maxBodyBytes
    let bodyTimeout = configuration.bodyTimeout
    let router = Router(context: SentinelRequestContext.self)
    router.add(middleware: RequestObservationMiddleware(metrics: metrics, logger: logger))
    router.add(middleware: HostAllowListMiddleware(allowList: configuration.allowedHosts))
    if configuration.rateLimit > 0 {
      router.add(
        middleware: RateLimitMiddleware(
          limiter: RateLimiter(rate: configuration.rateLimit, burst: configuration.rateBurst)))
    }
    router.add(middleware: JSONErrorMiddleware())

    router.get("/metrics") { _, _ in
      Response(
        status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render())))
    }

    router.get("/openapi.json") { _, _ in jsonResponse(200, OpenAPIDocument.json) }

    if configuration.benchConstantRoute {
      router.get("/v1/bench/constant") { _, _ in jsonResponse(200, "{\"status\":\"ok\"}") }
      router.post("/v1/bench/constant") { request, _ in
        if case .failure(let error) = await readBody(request, limit: maxBodyBytes, timeout: bodyTimeout) {
          return error.response
        }
        return jsonResponse(200, "{\"status\":\"ok\"}")
      }
    }

    router.get("/healthz") { _, _ in jsonResponse(200, "{\"status\":\"alive\"}") }

    router.get("/readyz") { _, _ in
      if let reason = await service.notReadyReason() {
        return jsonResponse(503, "{\"status\":\"not ready\",\"reason\":\(quote(reason))}")
      }
      return jsonResponse(200, "{\"status\":\"ready\",\"bundle_digest\":\(quote(json.bundleDigest))}")
    }

    router.post("/v1/decisions") { request, _ in
      let body: [UInt8]
      switch await readBody(request, limit: maxBodyBytes, timeout: bodyTimeout) {
      case .success(let b): body = b
      case .failure(let error): return error.response
      }
      let outcome =
        EmptyEventID.check(body) ? .rejected(line: EmptyEventID.errorLine) : await service.decide(body)
      metrics.record(outcome)
      let rendered = json.render(outcome)
      return jsonResponse(rendered.status, rendered.body)
    }

    router.post("/v1/decisions/batch") { request, _ in
      let body: [UInt8]
      switch await readBody(request, limit: maxBodyBytes, timeout: bodyTimeout) {
      case .success(let b): body = b
      case .failure(let error): return error.response
      }
      let events: [[UInt8]]
      do throws(BatchBodyError) {
        events = try BatchBody.split(body, requireArray: isJSON(request))
      } catch {
        metrics.recordError(kind: ErrorKind.malformedBatch.rawValue)
        return jsonResponse(400, DecisionJSON.error(error.message))
      }
      // Events with an empty id are refused here; the others are decided together, in order.
      let refused = events.map(EmptyEventID.check)
      var decided = await service.decide(batch: zip(events, refused).filter { !$0.1 }.map(\.0))
        .makeIterator()
      let outcomes = refused.map { $0 ? .rejected(line: EmptyEventID.errorLine) : decided.next() ?? .empty }
      for outcome in outcomes { metrics.record(outcome) }
      // A store failure fails the whole batch: nothing in it was acknowledged as durable.
      for case .storeFailed(let message) in outcomes { return jsonResponse(503, DecisionJSON.error(message)) }
      let bodies = outcomes.map { json.render($0).body }
      return jsonResponse(200, "[" + bodies.joined(separator: ",") + "]")
    }

    router.get("/v1/decisions/{event_id}") { _, context in
      let raw = context.parameters.get("event_id") ?? ""
      let id = raw.removingPercentEncoding ?? raw
      do {
        if let line = try await service.storedDecision(eventID: id) { return jsonResponse(200, line) }
      } catch {
        return jsonResponse(503, DecisionJSON.error("state store: \(error)"))
      }
      return jsonResponse(404, DecisionJSON.error("no decision for event `\(id)`"))
    }
    return router
  }

  // MARK: - Helpers

  /// A request-level failure with its JSON answer.
  struct RequestFailure: Error {
    let response: Response
  }

  /// The request body, at most `limit` bytes (else a 413 with a JSON error), received within
  /// `timeout` (else a 408, and the connection is closed: the rest of the body is not read).
  static func readBody(_ request: Request, limit: Int, timeout: Swift.Duration) async -> Result<
    [UInt8], RequestFailure
  > {
    let tooLarge = RequestFailure(
      response: jsonResponse(413, DecisionJSON.error("request body larger than \(limit) bytes")))
    if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
      return .failure(tooLarge)
    }
    do {
      let body = request.body
      let collected = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
        group.addTask { try await body.collect(upTo: limit) }
        group.addTask {
          try await Task.sleep(for: timeout)
          return nil
        }
        defer { group.cancelAll() }
        return try await group.next() ?? nil
      }
      guard let buffer = collected else {
        var response = jsonResponse(
          408, DecisionJSON.error("request body not received within \(seconds(timeout)) s"))
        response.headers[.connection] = "close"
        return .failure(RequestFailure(response: response))
      }
      return .success(Array(buffer.readableBytesView))
    } catch let e as any HTTPResponseError where e.status == .contentTooLarge {
      return .failure(tooLarge)
    } catch {
      return .failure(
        RequestFailure(
          response: jsonResponse(400, DecisionJSON.error("cannot read the request body: \(error)"))))
    }
  }

  static func quote(_ s: String) -> String { JSONWriter.quote(s) }

  /// `d` in seconds, for messages (`10.0`, `0.5`).
  static func seconds(_ d: Swift.Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
  }

  /// Whether the request says its body is JSON (`application/json`, parameters ignored).
  static func isJSON(_ request: Request) -> Bool {
    guard let type = request.headers[.contentType] else { return false }
    let media = type.split(separator: ";", maxSplits: 1).first ?? ""
    return media.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
  }

  /// A JSON response with `status`.
  static func jsonResponse(_ status: Int, _ body: String) -> Response {
    var buffer = ByteBuffer()
    buffer.writeString(body)
    return Response(
      status: HTTPResponse.Status(code: status),
      headers: [.contentType: "application/json"],
      body: ResponseBody(byteBuffer: buffer))
  }
}
