// The scoring daemon's HTTP side (Hummingbird 2), composed with ServiceLifecycle:
//
//   ServiceGroup ─► DecisionService (commits)  ◄── shut down last: commits what is pending
//               └─► HTTP server                ◄── shut down first: stops accepting, finishes
//                                                  in-flight requests (each waits for its commit)
//
//               └─► BundleReloader (SIGHUP)
//
// Routes (docs/operations.md); `/v1/*` needs `Authorization: Bearer KEY` (`AuthMiddleware`)
// and acts on the key's tenant only (`TenantRegistry`):
//   POST /v1/decisions           decide   one JSON event → its decision (200 only after the commit)
//   POST /v1/decisions/batch     decide   a JSON array or NDJSON → an array of decisions and errors
//   GET  /v1/decisions/{id}      read     the stored decision with its audit record (AuditRoutes.swift)
//   GET  /v1/analytics/summary   read     counts by action and by rule over a window (AuditRoutes.swift)
//   GET  /v1/bundle              read     the active bundle (BundleRoutes.swift)
//   PUT  /v1/bundle              admin    verify, store and swap in a compiled bundle
//   GET  /healthz, GET /readyz   open     alive; ready (bundle loaded, database writable)
// Every error answer is a JSON object with `error` naming the problem (`JSONErrorMiddleware`
// covers the answers Hummingbird makes itself: unknown routes, wrong methods).

import Foundation
import Hummingbird
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

  /// A configuration; the defaults are those of `sentinel serve` (without a demo key).
  public init(
    host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 64 * 1024,
    decisions: DecisionServiceOptions = .init(), maxBundleBytes: Int = 16 * 1024 * 1024,
    bundleLoader: BundleLoader = BundleLoader(), demoKey: String? = nil
  ) {
    self.host = host
    self.port = port
    self.maxBodyBytes = maxBodyBytes
    self.decisions = decisions
    self.maxBundleBytes = maxBundleBytes
    self.bundleLoader = bundleLoader
    self.demoKey = demoKey
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
  /// shut down after it, before the decision services.
  public static func run(
    bundle: LoadedBundle, store: SQLiteStateStore, keys: APIKeyStore?, configuration: ServerConfiguration,
    logger: Logger = Logger(label: "sentinel"),
    reload: (@Sendable () throws -> LoadedBundle)? = nil, extraServices: [any Service] = [],
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
  ) async throws {
    let registry = TenantRegistry(
      defaultBundle: bundle, store: store, options: configuration.decisions, logger: logger)
    try registry.restoreStoredBundles(loader: configuration.bundleLoader)
    let router = makeRouter(
      registry: registry, authenticator: Authenticator(keys: keys, demoKey: configuration.demoKey),
      configuration: configuration)
    var services: [any Service] = [registry]
    if let reload {
      // Trapped now, before the server listens: an early SIGHUP must not end the process.
      let signals = await UnixSignalsSequence(trapping: .sighup)
      services.append(BundleReloader(signals: signals, registry: registry, reload: reload, logger: logger))
    }
    let port = configuration.port
    let app = Application(
      router: router,
      configuration: .init(address: .hostname(configuration.host, port: port), serverName: "sentinel"),
      services: services + extraServices,
      onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
      logger: logger)
    try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
  }

  /// The daemon's routes over the tenants of `registry`.
  static func makeRouter(
    registry: TenantRegistry, authenticator: Authenticator, configuration: ServerConfiguration
  ) -> Router<SentinelRequestContext> {
    let maxBodyBytes = configuration.maxBodyBytes
    let router = Router(context: SentinelRequestContext.self)
    router.add(middleware: JSONErrorMiddleware())
    router.add(middleware: AuthMiddleware(authenticator: authenticator))

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
      let tenant = try tenantName(context)
      guard let service = registry.service(for: tenant) else { return noBundle(tenant) }
      let body: [UInt8]
      switch await readBody(request, limit: maxBodyBytes) {
      case .success(let b): body = b
      case .failure(let error): return error.response
      }
      let (outcome, json) = await service.decideRendering(body)
      let rendered = json.render(outcome)
      return jsonResponse(rendered.status, rendered.body)
    }

    router.post("/v1/decisions/batch") { request, context in
      let tenant = try tenantName(context)
      guard let service = registry.service(for: tenant) else { return noBundle(tenant) }
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
      let (outcomes, json) = await service.decideRendering(batch: events)
      // A store failure fails the whole batch: nothing in it was acknowledged as durable.
      for case .storeFailed(let message) in outcomes { return jsonResponse(503, DecisionJSON.error(message)) }
      let bodies = outcomes.map { json.render($0).body }
      return jsonResponse(200, "[" + bodies.joined(separator: ",") + "]")
    }

    addAuditRoutes(to: router, registry: registry)

    addBundleRoutes(
      to: router, registry: registry, loader: configuration.bundleLoader,
      maxBundleBytes: configuration.maxBundleBytes)
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
