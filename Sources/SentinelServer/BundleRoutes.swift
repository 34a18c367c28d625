// The active bundle of the caller's tenant, at run time:
//
//   GET /v1/bundle   (read)   digest, version, compiler, signer, rule ids, aggregates, origin
//   PUT /v1/bundle   (admin)  body: a compiled bundle as `sentinel compile` writes it. Verified
//                             first (BundleLoader: digest, signature when a trusted key is
//                             configured, decode, verifier, consistency); a refusal is 422 with
//                             `error` (the message) and `reason` (`BundleLoadError.Kind`), and
//                             the active bundle stays. Accepted: stored in the database, then
//                             swapped in between two events (`DecisionService.install`).
//
// SIGHUP reloads `--rules` for the tenant `default` the same way (`BundleReloader`).

import Foundation
import Hummingbird
import Logging
import SentinelBytecode
import SentinelModel
import SentinelRuntime
import ServiceLifecycle
import UnixSignals

extension DecisionServer {
  /// Adds `GET` and `PUT /v1/bundle`.
  static func addBundleRoutes(
    to router: Router<SentinelRequestContext>, registry: TenantRegistry, loader: BundleLoader,
    maxBundleBytes: Int, bodyTimeout: Swift.Duration
  ) {
    router.get("/v1/bundle") { _, context in
      let tenant = try tenantName(context)
      guard let service = registry.service(for: tenant) else { return noBundle(tenant) }
      let (bundle, installation) = await service.activeBundle()
      return jsonResponse(200, bundleBody(bundle, tenant: tenant, installation: installation))
    }

    router.put("/v1/bundle") { request, context in
      let tenant = try tenantName(context)
      let bytes: [UInt8]
      switch await readBody(request, limit: maxBundleBytes, timeout: bodyTimeout) {
      case .success(let b): bytes = b
      case .failure(let error): return error.response
      }
      guard !bytes.isEmpty else {
        return jsonResponse(
          400, DecisionJSON.error("empty body: expected a compiled bundle (sentinel compile)"))
      }
      let bundle: LoadedBundle
      do throws(BundleLoadError) {
        bundle = try loader.load(bytes)
      } catch {
        registry.metrics.recordReload(tenant: tenant, digest: "", succeeded: false)
        return jsonResponse(
          422,
          "{\"error\":\(quote("bundle refused: " + error.message)),\"reason\":\(quote(error.kind.rawValue))}")
      }
      if let failure = await registry.install(bundle, bytes: bytes, tenant: tenant, origin: "api") {
        return jsonResponse(503, DecisionJSON.error(failure))
      }
      guard let service = registry.service(for: tenant) else { return noBundle(tenant) }
      let (active, installation) = await service.activeBundle()
      return jsonResponse(200, bundleBody(active, tenant: tenant, installation: installation))
    }
  }

  /// The tenant of an authenticated request (`AuthMiddleware` sets it on every `/v1` route).
  static func tenantName(_ context: SentinelRequestContext) throws -> String {
    guard let principal = context.principal else { throw HTTPError(.unauthorized) }
    return principal.tenant
  }

  /// 409: the tenant has no bundle yet.
  static func noBundle(_ tenant: String) -> Response {
    jsonResponse(
      409, DecisionJSON.error("tenant `\(tenant)` has no bundle: upload one with PUT /v1/bundle"))
  }

  /// The `GET /v1/bundle` body.
  static func bundleBody(_ b: LoadedBundle, tenant: String, installation: BundleInstallation) -> String {
    var out = "{\"tenant\":\(quote(tenant)),\"digest\":\(quote(b.digest))"
    out +=
      ",\"version\":\(Int(b.bundle.encodedVersion)),\"compiler\":\(quote(b.bundle.compilerVersion))"
    out += ",\"signed_by\":" + (b.signedBy.map(quote) ?? "null")
    out += ",\"signature_trusted\":\(b.signatureTrusted),\"bytes\":\(b.byteCount)"
    out += ",\"rules\":[" + b.bundle.rules.map { quote($0.id) }.joined(separator: ",") + "]"
    out += ",\"aggregates\":[" + b.bundle.aggregates.map { quote($0.name) }.joined(separator: ",") + "]"
    out += ",\"origin\":\(quote(installation.origin))"
    out += ",\"installed_at\":\(quote(installation.at.formatted(.iso8601)))}"
    return out
  }
}

extension DecisionService {
  /// The active bundle and how it was installed, read together.
  func activeBundle() -> (LoadedBundle, BundleInstallation) { (bundle, installation) }
}

/// Reloads the tenant `default`'s bundle from `--rules` on each SIGHUP, with the same checks as
/// at start. A refused bundle is logged with the reason; the active one stays.
struct BundleReloader: Service {
  /// The SIGHUP signals (trapped before the server starts, so an early SIGHUP cannot kill it).
  let signals: UnixSignalsSequence
  let registry: TenantRegistry
  /// Reads, compiles if needed, and verifies `--rules`; throws with the reason.
  let reload: @Sendable () throws -> LoadedBundle
  let logger: Logger

  func run() async throws {
    for await _ in signals.cancelOnGracefulShutdown() { await reloadNow() }
  }

  func reloadNow() async {
    let tenant = TenantRegistry.defaultTenant
    let bundle: LoadedBundle
    do {
      bundle = try reload()
    } catch {
      logger.error("SIGHUP: bundle reload refused, the active bundle stays", metadata: ["reason": "\(error)"])
      return
    }
    if let failure = await registry.install(bundle, bytes: nil, tenant: tenant, origin: "sighup") {
      logger.error(
        "SIGHUP: bundle reload failed, the active bundle stays", metadata: ["reason": "\(failure)"])
      return
    }
    logger.notice("SIGHUP: bundle reloaded", metadata: ["tenant": "\(tenant)", "digest": "\(bundle.digest)"])
  }
}
