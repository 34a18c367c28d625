// The scoring daemon's HTTP side (Hummingbird 2), composed with ServiceLifecycle:
//
//   ServiceGroup ─► DecisionService (commits)  ◄── shut down last: commits what is pending
//               └─► HTTP server                ◄── shut down first: stops accepting, finishes
//                                                  in-flight requests (each waits for its commit)
//
//               └─► BundleReloader (SIGHUP)
//
// Routes (docs/operations.md, docs/openapi.yaml); `/v1/*` needs `Authorization: Bearer KEY` (`AuthMiddleware`)
// and acts on the key's tenant only (`TenantRegistry`):
//   POST /v1/decisions           decide   one JSON event → its decision (200 only after the commit)
//   POST /v1/decisions/batch     decide   a JSON array or NDJSON → an array of decisions and errors
//   GET  /v1/decisions/{id}      read     the stored decision with its audit record (AuditRoutes.swift)
//   GET  /v1/analytics/summary   read     counts by action and by rule over a window (AuditRoutes.swift)
//   GET  /v1/bundle              read     the active bundle (BundleRoutes.swift)
//   PUT  /v1/bundle              admin    verify, store and swap in a compiled bundle
//   GET  /v1/lists/{name}        read     a run-time list of the bundle (ListRoutes.swift)
//   PUT|PATCH /v1/lists/{name}   admin    replace / add and remove its entries; stored, then used
//                                         by the next decision
//   GET  /healthz, GET /readyz   open     alive; ready (bundle loaded, database writable)
//   GET  /metrics                open     Prometheus text (ServerMetrics)
//   GET  /openapi.json           open     the API's OpenAPI document (docs/openapi.yaml)
//   GET|POST /v1/bench/constant  decide   a constant answer, only with --bench-constant-route
//
// Middleware, outermost first: RequestObservation (request id, security headers, metrics,
// access log, 500s as JSON) ─► HostAllowList (421) ─► RateLimit (429) ─► JSONError (404/405)
// ─► Auth (401/403). Every error answer is a JSON object with `error` naming the problem.

import Foundation
import Hummingbird
import NIOCore
import NIOPosix
public import Logging
import SentinelModel
public import SentinelRuntime
public import SentinelState
public import ServiceLifecycle
import UnixSignals

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
  /// The largest bundle `PUT /v1/bundle` accepts.
  public var maxBundleBytes: Int
  /// Checks uploaded and stored bundles (trusted keys: a signature by one is then required).
  public var bundleLoader: BundleLoader
  /// A key accepted for the tenant `default` with every scope while this process runs (never
  /// stored), or nil.
  public var demoKey: String?
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
  /// The number of SwiftNIO event loops (threads) that read and write the connections; nil:
  /// NIO's shared group, one loop per core.
  public var eventLoops: Int?

  /// A configuration; the defaults are those of `sentinel serve` (without a demo key).
  public init(
    host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 64 * 1024,
    decisions: DecisionServiceOptions = .init(), maxBundleBytes: Int = 16 * 1024 * 1024,
    bundleLoader: BundleLoader = BundleLoader(), demoKey: String? = nil, allowedHosts: HostAllowList? = nil,
    rateLimit: Double = 1000, rateBurst: Double = 2000, idleTimeout: Swift.Duration = .seconds(30),
    bodyTimeout: Swift.Duration = .seconds(10), benchConstantRoute: Bool = false, eventLoops: Int? = nil
  ) {
    self.host = host
    self.port = port
    self.maxBodyBytes = maxBodyBytes
    self.decisions = decisions
    self.maxBundleBytes = maxBundleBytes
    self.bundleLoader = bundleLoader
    self.demoKey = demoKey
    self.allowedHosts = allowedHosts ?? .defaults(listeningOn: host)
    self.rateLimit = rateLimit
    self.rateBurst = rateBurst
    self.idleTimeout = idleTimeout
    self.bodyTimeout = bodyTimeout
    self.benchConstantRoute = benchConstantRoute
    self.eventLoops = eventLoops
  }
}

/// The scoring daemon: tenants with their bundles, API keys, one state database.
public enum DecisionServer {
  /// Runs the daemon until SIGTERM or SIGINT, then shuts down gracefully: stops accepting,
  /// finishes in-flight requests, commits what is pending, closes the database and returns.
  /// `bundle` is the tenant `default`'s; other tenants' stored bundles are restored. `reload`
  /// (called on SIGHUP) gives `default` a new verified bundle or throws why not.
  /// `onListening` gets the bound port once the server accepts connections. `extraServices` run
  /// beside the server in its service group (`sentinel serve --redis`: the stream consumer) and
  /// shut down after it, before the decision services. `scrapeHooks` run at each `GET /metrics`
  /// before it renders (they copy values kept elsewhere into the metrics).
  public static func run(
    bundle: LoadedBundle, store: SQLiteStateStore, keys: APIKeyStore?, configuration: ServerConfiguration,
    logger: Logger = Logger(label: "sentinel"),
    reload: (@Sendable () throws -> LoadedBundle)? = nil, extraServices: [any Service] = [],
    scrapeHooks: [@Sendable (ServerMetrics) -> Void] = [],
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
  ) async throws {
    let metrics = ServerMetrics(bundle: bundle)
    let registry = TenantRegistry(
      defaultBundle: bundle, store: store, options: configuration.decisions, logger: logger, metrics: metrics)
    try registry.restoreStoredBundles(loader: configuration.bundleLoader)
    let router = makeRouter(
      registry: registry, authenticator: Authenticator(keys: keys, demoKey: configuration.demoKey),
      configuration: configuration, logger: logger, scrapeHooks: scrapeHooks)
    var services: [any Service] = [registry]
    if let reload {
      // Trapped now, before the server listens: an early SIGHUP must not end the process.
      let signals = await UnixSignalsSequence(trapping: .sighup)
      services.append(BundleReloader(signals: signals, registry: registry, reload: reload, logger: logger))
    }
    let port = configuration.port
    let (s, attos) = configuration.idleTimeout.components
    let idle = TimeAmount.nanoseconds(s * 1_000_000_000 + attos / 1_000_000_000)
    // Our own group when the count is set (shut down after the server), else NIO's shared one.
    let loops = configuration.eventLoops.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) }
    let app = Application(
      router: router,
      server: .http1(
        configuration: .init(
          idleTimeout: idle,
          httpDecoderConfiguration: .init(maxHeaderFieldSize: 8 * 1024, maxHeaderListSize: 16 * 1024))),
      configuration: .init(address: .hostname(configuration.host, port: port), serverName: "sentinel"),
      services: services + extraServices,
      onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
      eventLoopGroupProvider: loops.map { .shared($0) } ?? .singleton,
      logger: logger)
    do {
      try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    } catch {
      try? await loops?.shutdownGracefully()
      throw error
    }
    try await loops?.shutdownGracefully()
  }

  /// The daemon's routes over the tenants of `registry`, behind the hardening middleware.
  static func makeRouter(
    registry: TenantRegistry, authenticator: Authenticator, configuration: ServerConfiguration,
    logger: Logger, scrapeHooks: [@Sendable (ServerMetrics) -> Void] = []
  ) -> Router<SentinelRequestContext> {
    let metrics = registry.metrics
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
    router.add(middleware: AuthMiddleware(authenticator: authenticator))

    router.get("/metrics") { _, _ in
      // Values kept elsewhere (the stream consumer of `serve --redis`) are read now.
      for hook in scrapeHooks { hook(metrics) }
      return Response(
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
      let service = registry.defaultService
      if let reason = await service.notReadyReason() {
        return jsonResponse(503, "{\"status\":\"not ready\",\"reason\":\(quote(reason))}")
      }
      let digest = await service.bundle.digest
      return jsonResponse(200, "{\"status\":\"ready\",\"bundle_digest\":\(quote(digest))}")
    }

    router.post("/v1/decisions") { request, context in
      let service: DecisionService
      let body: [UInt8]
      switch await tenantAndBody(
        request, context, registry: registry, limit: maxBodyBytes, timeout: bodyTimeout)
      {
      case .success(let (s, b)): (service, body) = (s, b)
      case .failure(let failure): return failure.response
      }
      if EmptyEventID.check(body) {
        let outcome = DecisionOutcome.rejected(line: EmptyEventID.errorLine)
        metrics.record(outcome)
        let rendered = await service.json.render(outcome)
        return jsonResponse(rendered.status, rendered.body)
      }
      let (outcome, json) = await service.decideRendering(body)
      metrics.record(outcome)
      let rendered = json.renderBuffer(outcome)
      return jsonResponse(rendered.status, rendered.body)
    }

    router.post("/v1/decisions/batch") { request, context in
      let service: DecisionService
      let body: [UInt8]
      switch await tenantAndBody(
        request, context, registry: registry, limit: maxBodyBytes, timeout: bodyTimeout)
      {
      case .success(let (s, b)): (service, body) = (s, b)
      case .failure(let failure): return failure.response
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
      let (decidedOutcomes, json) = await service.decideRendering(
        batch: zip(events, refused).filter { !$0.1 }.map(\.0))
      var decided = decidedOutcomes.makeIterator()
      let outcomes = refused.map { $0 ? .rejected(line: EmptyEventID.errorLine) : decided.next() ?? .empty }
      for outcome in outcomes { metrics.record(outcome) }
      // A store failure fails the whole batch: nothing in it was acknowledged as durable.
      for case .storeFailed(let message) in outcomes { return jsonResponse(503, DecisionJSON.error(message)) }
      let bodies = outcomes.map { json.render($0).body }
      return jsonResponse(200, "[" + bodies.joined(separator: ",") + "]")
    }

    addAuditRoutes(to: router, registry: registry)

    addBundleRoutes(
      to: router, registry: registry, loader: configuration.bundleLoader,
      maxBundleBytes: configuration.maxBundleBytes, bodyTimeout: bodyTimeout)

    addListRoutes(to: router, registry: registry, maxBodyBytes: maxBodyBytes, bodyTimeout: bodyTimeout)
    return router
  }

  // MARK: - Helpers

  /// A request-level failure with its JSON answer.
  struct RequestFailure: Error {
    let response: Response
  }

  /// The decision service of the request's tenant (409 when the tenant has no bundle) and the
  /// request body (`readBody`): the prologue of both `POST` routes.
  static func tenantAndBody(
    _ request: Request, _ context: SentinelRequestContext, registry: TenantRegistry, limit: Int,
    timeout: Swift.Duration
  ) async -> Result<(DecisionService, [UInt8]), RequestFailure> {
    let tenant: String
    do { tenant = try tenantName(context) } catch {
      return .failure(RequestFailure(response: jsonResponse(401, DecisionJSON.error("missing API key"))))
    }
    guard let service = registry.service(for: tenant) else {
      return .failure(RequestFailure(response: noBundle(tenant)))
    }
    return await readBody(request, limit: limit, timeout: timeout).map { (service, $0) }
  }

  /// The request body, at most `limit` bytes (else a 413 with a JSON error), received within
  /// `timeout` (else a 408, and the connection is closed: the rest of the body is not read).
  static func readBody(_ request: Request, limit: Int, timeout: Swift.Duration) async -> Result<
    [UInt8], RequestFailure
  > {
    let tooLarge = RequestFailure(
      response: jsonResponse(413, DecisionJSON.error("request body larger than \(limit) bytes")))
    if let length = request.headers.value(.contentLength).flatMap({ Int($0) }), length > limit {
      return .failure(tooLarge)
    }
    do {
      let body = request.body
      // In a task of its own, cancelled by the watchdog once `timeout` has passed.
      let collected = try await BodyReadWatchdog.shared.collect(within: timeout) {
        try await body.collect(upTo: limit)
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
    guard let type = request.headers.value(.contentType) else { return false }
    let media = type.split(separator: ";", maxSplits: 1).first ?? ""
    return media.trimmingOWS.lowercased() == "application/json"
  }

  /// A JSON response with `status`.
  static func jsonResponse(_ status: Int, _ body: String) -> Response {
    jsonResponse(status, ByteBuffer(string: body))
  }

  /// A JSON response with `status` whose body is already in a buffer.
  static func jsonResponse(_ status: Int, _ body: ByteBuffer) -> Response {
    Response(
      status: HTTPResponse.Status(code: status),
      headers: [.contentType: "application/json"],
      body: ResponseBody(byteBuffer: body))
  }
}
