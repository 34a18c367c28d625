// The tenants the daemon serves. Each tenant with a bundle has its own `DecisionService` (its
// own processor, bundle and pending decisions) over its own rows of the shared state database
// (every state table is keyed by tenant). A key of tenant A only ever reaches A's service.
//
//   tenant `default`   its bundle comes from `--rules` at start (and SIGHUP)
//   other tenants      their bundle comes from `PUT /v1/bundle`, stored in the database and
//                      restored at start
//
// On graceful shutdown (after the HTTP server has finished its requests) every service commits
// what is pending, then the database is closed.

import Logging
import SentinelRuntime
import SentinelState
import ServiceLifecycle
import Synchronization

/// Every tenant's decision service, and the shared state database.
final class TenantRegistry: Service, Sendable {
  /// The tenant `--rules` configures.
  static let defaultTenant = "default"

  let store: SQLiteStateStore
  let options: DecisionServiceOptions
  let logger: Logger
  /// The daemon's metrics (every tenant's services record into them).
  let metrics: ServerMetrics
  /// The service of the tenant `default` (also in `services`; never removed).
  let defaultService: DecisionService
  private let services: Mutex<[String: DecisionService]>

  /// A registry with `defaultBundle` for the tenant `default`, over `store`.
  init(
    defaultBundle: LoadedBundle, store: SQLiteStateStore, options: DecisionServiceOptions, logger: Logger,
    metrics: ServerMetrics
  ) {
    self.metrics = metrics
    self.store = store
    self.options = options
    self.logger = logger
    let service = DecisionService(
      bundle: defaultBundle, store: store.forTenant(Self.defaultTenant), options: options,
      origin: "start-up", logger: logger, metrics: metrics)
    defaultService = service
    services = Mutex([Self.defaultTenant: service])
  }

  /// The service of `tenant`, or nil when the tenant has no bundle yet.
  func service(for tenant: String) -> DecisionService? {
    services.withLock { $0[tenant] }
  }

  /// Restores the bundles stored for tenants other than `default` with `loader`. A stored bundle
  /// that no longer loads (for example after the trusted keys changed) is logged and skipped:
  /// that tenant has no bundle until one is uploaded.
  func restoreStoredBundles(loader: BundleLoader) throws {
    for stored in try store.storedBundles() where stored.tenant != Self.defaultTenant {
      do throws(BundleLoadError) {
        let bundle = try loader.load(stored.bytes)
        let service = DecisionService(
          bundle: bundle, store: store.forTenant(stored.tenant), options: options, origin: "stored",
          logger: logger, metrics: metrics)
        services.withLock { $0[stored.tenant] = service }
        metrics.setActiveBundle(tenant: stored.tenant, digest: bundle.digest)
        logger.info(
          "restored stored bundle", metadata: ["tenant": "\(stored.tenant)", "digest": "\(bundle.digest)"])
      } catch {
        logger.error(
          "stored bundle refused; the tenant has no bundle until one is uploaded",
          metadata: ["tenant": "\(stored.tenant)", "reason": "\(error.message)"])
      }
    }
  }

  /// Makes `bundle` (already verified) the active bundle of `tenant`, storing `bytes` when
  /// given. Returns nil on success, else why nothing changed.
  func install(_ bundle: LoadedBundle, bytes: [UInt8]?, tenant: String, origin: String) async -> String? {
    let failure = await installing(bundle, bytes: bytes, tenant: tenant, origin: origin)
    metrics.recordReload(tenant: tenant, digest: bundle.digest, succeeded: failure == nil)
    return failure
  }

  private func installing(_ bundle: LoadedBundle, bytes: [UInt8]?, tenant: String, origin: String) async
    -> String?
  {
    if let existing = service(for: tenant) {
      return await existing.install(bundle, bytes: bytes, origin: origin)
    }
    let tenantStore = store.forTenant(tenant)
    if let bytes {
      do { try tenantStore.saveBundle(bytes, digest: bundle.digest) } catch {
        return "cannot store the bundle: \(error)"
      }
    }
    let fresh = DecisionService(
      bundle: bundle, store: tenantStore, options: options, origin: origin, logger: logger, metrics: metrics)
    // Two first uploads may race: the one registered second installs over the first.
    let winner = services.withLock { s -> DecisionService? in
      if let other = s[tenant] { return other }
      s[tenant] = fresh
      return nil
    }
    if let winner { return await winner.install(bundle, bytes: nil, origin: origin) }
    logger.info("bundle installed", metadata: ["tenant": "\(tenant)", "digest": "\(bundle.digest)"])
    return nil
  }

  /// Waits for graceful shutdown, then commits every tenant's pending decisions and closes the
  /// database.
  func run() async throws {
    try? await gracefulShutdown()
    var decisions = 0
    var commits = 0
    for service in services.withLock({ Array($0.values) }) {
      let counts = await service.drain()
      decisions += counts.decisions
      commits += counts.commits
    }
    do { try store.close() } catch {
      logger.error("closing the state database failed", metadata: ["error": "\(error)"])
    }
    logger.info("decision service stopped", metadata: ["decisions": "\(decisions)", "commits": "\(commits)"])
  }
}
