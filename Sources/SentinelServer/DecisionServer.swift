// The scoring daemon's HTTP side (Hummingbird 2), composed with ServiceLifecycle:
//
//   ServiceGroup ─► DecisionService (commits)  ◄── shut down last: commits what is pending
//               └─► HTTP server                ◄── shut down first: stops accepting, finishes
//                                                  in-flight requests (each waits for its commit)
//
// Routes (docs/operations.md):
//   POST /v1/decisions           one JSON event → its decision (200 only after the commit)
//   POST /v1/decisions/batch     a JSON array or NDJSON → an array of decisions and errors
//   GET  /v1/decisions/{id}      the stored decision line
//   GET  /healthz, GET /readyz   alive; ready (bundle loaded, database writable)
// Every error answer is a JSON object with `error` naming the problem (`JSONErrorMiddleware`
// covers the answers Hummingbird makes itself: unknown routes, wrong methods).

import Foundation
import Hummingbird
public import Logging
import SentinelModel
public import SentinelRuntime
public import SentinelState
public import ServiceLifecycle

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

  /// A configuration; the defaults are those of `sentinel serve`.
  public init(
    host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 64 * 1024,
    decisions: DecisionServiceOptions = .init()
  ) {
    self.host = host
    self.port = port
    self.maxBodyBytes = maxBodyBytes
    self.decisions = decisions
  }
}

/// The scoring daemon: one tenant, one bundle, one state database.
public enum DecisionServer {
  /// Runs the daemon until SIGTERM or SIGINT, then shuts down gracefully: stops accepting,
  /// finishes in-flight requests, commits what is pending, closes the database and returns.
  /// `onListening` gets the bound port once the server accepts connections. `extraServices` run
  /// beside the server in its service group (`sentinel serve --redis`: the stream consumer) and
  /// shut down after it, before the decision service.
  public static func run(
    bundle: LoadedBundle, store: SQLiteStateStore, configuration: ServerConfiguration,
    logger: Logger = Logger(label: "sentinel"), extraServices: [any Service] = [],
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
  ) async throws {
    let service = DecisionService(
      bundle: bundle, store: store, options: configuration.decisions, logger: logger)
    let router = makeRouter(service: service, maxBodyBytes: configuration.maxBodyBytes)
    let port = configuration.port
    let app = Application(
      router: router,
      configuration: .init(address: .hostname(configuration.host, port: port), serverName: "sentinel"),
      services: [service] + extraServices,
      onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
      logger: logger)
    try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
  }

  /// The daemon's routes over `service`.
  static func makeRouter(service: DecisionService, maxBodyBytes: Int) -> Router<BasicRequestContext> {
    let json = DecisionJSON(bundle: service.bundle)
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: JSONErrorMiddleware())

    router.get("/healthz") { _, _ in jsonResponse(200, "{\"status\":\"alive\"}") }

    router.get("/readyz") { _, _ in
      if let reason = await service.notReadyReason() {
        return jsonResponse(503, "{\"status\":\"not ready\",\"reason\":\(quote(reason))}")
      }
      return jsonResponse(200, "{\"status\":\"ready\",\"bundle_digest\":\(quote(json.bundleDigest))}")
    }

    router.post("/v1/decisions") { request, _ in
      let body: [UInt8]
      switch await readBody(request, limit: maxBodyBytes) {
      case .success(let b): body = b
      case .failure(let error): return error.response
      }
      let rendered = json.render(await service.decide(body))
      return jsonResponse(rendered.status, rendered.body)
    }

    router.post("/v1/decisions/batch") { request, _ in
      let body: [UInt8]
      switch await readBody(request, limit: maxBodyBytes) {
      case .success(let b): body = b
      case .failure(let error): return error.response
      }
      let events: [[UInt8]]
      do throws(BatchBodyError) {
        events = try BatchBody.split(body)
      } catch {
        return jsonResponse(400, DecisionJSON.error(error.message))
      }
      let outcomes = await service.decide(batch: events)
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

  /// The request body, at most `limit` bytes (else a 413 with a JSON error).
  static func readBody(_ request: Request, limit: Int) async -> Result<[UInt8], RequestFailure> {
    let tooLarge = RequestFailure(
      response: jsonResponse(413, DecisionJSON.error("request body larger than \(limit) bytes")))
    if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
      return .failure(tooLarge)
    }
    do {
      let buffer = try await request.body.collect(upTo: limit)
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
