// Retention inside the daemon (`sentinel serve --retention-days N`): every interval, the decision
// log of every tenant loses the records committed more than N days ago, exactly as
// `sentinel audit prune --keep-days N` removes them (`SQLiteStateStore.pruneAudit`): what would
// be removed is verified first and a broken chain is not pruned, each tenant's last removed
// record becomes its anchor (verification starts there), and the removed event ids keep their
// decision lines, so a repeated id still gets its original decision. Unlike the command, a run
// verifies only the records it removes and the first one it keeps: its cost follows what it
// removes, not the size of the log (a break further on stays in the file, for `audit verify`).
//
// The prune runs on a thread of its own, never on the cooperative pool: it is one write
// transaction on the daemon's connection, so the commits queue behind it while it runs (their
// requests wait, nothing fails). A first run starts with the service, then one every interval.
// On graceful shutdown the service stops after the run in progress, before the decision services
// commit what is pending.

import Foundation
public import Logging
public import SentinelState
public import ServiceLifecycle
import Synchronization

/// Prunes the decision log on a schedule (see the file comment).
public final class AuditRetention: Service, Sendable {
  /// What the runs did so far.
  public struct Totals: Sendable, Equatable {
    /// Runs that pruned (or found nothing to prune).
    public var succeeded = 0
    /// Runs that failed (a broken chain, a database error): nothing was removed by them.
    public var failed = 0
    /// Records removed in all.
    public var removed = 0
  }

  let store: SQLiteStateStore
  /// How long a record is kept after its commit, in milliseconds.
  let keepMillis: Int64
  let interval: Double
  let logger: Logger
  private let totals = Mutex(Totals())
  /// Set on shutdown; the thread wakes from its wait and ends.
  private let stopping = NSCondition()
  private let stopped = Mutex(false)

  /// Keeps `keepDays` days of decisions in `store`'s database (every tenant on its connection),
  /// pruning every `interval` seconds.
  public init(store: SQLiteStateStore, keepDays: Double, interval: Double, logger: Logger) {
    self.store = store
    keepMillis = Int64((keepDays * 86_400_000).rounded())
    self.interval = interval
    self.logger = logger
  }

  /// What the runs did so far (`/metrics`).
  public var snapshot: Totals { totals.withLock { $0 } }

  /// Runs until graceful shutdown (or cancellation), pruning at start and every interval.
  public func run() async throws {
    await withGracefulShutdownHandler {
      await withTaskCancellationHandler {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
          let thread = Thread { [self] in
            repeat { pruneNow() } while wait()
            done.resume()
          }
          thread.name = "sentinel-retention"
          thread.start()
        }
      } onCancel: {
        self.stop()
      }
    } onGracefulShutdown: {
      self.stop()
    }
  }

  /// Ends the schedule: the thread finishes the run in progress, if any, and returns.
  func stop() {
    stopping.lock()
    stopped.withLock { $0 = true }
    stopping.broadcast()
    stopping.unlock()
  }

  /// Waits one interval; false when stopped meanwhile (or before).
  private func wait() -> Bool {
    let deadline = Date(timeIntervalSinceNow: interval)
    stopping.lock()
    defer { stopping.unlock() }
    while !stopped.withLock({ $0 }) {
      if !stopping.wait(until: deadline) { return !stopped.withLock { $0 } }
    }
    return false
  }

  /// One prune of every tenant: records committed before now minus the retention period.
  /// Returns what it removed per tenant, or nil when it failed (logged and counted).
  @discardableResult
  func pruneNow() -> [AuditPruneResult]? {
    let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    let cutoff = now - keepMillis
    let clock = ContinuousClock()
    let start = clock.now
    do {
      let results = try store.pruneAudit(before: cutoff, verifying: .removedRecords)
      let removed = results.reduce(0) { $0 + $1.removed }
      totals.withLock {
        $0.succeeded += 1
        $0.removed += removed
      }
      let elapsed = clock.now - start
      if removed > 0 {
        let tenants = results.map {
          "\($0.tenant): \($0.removed) removed, \($0.kept) kept, anchor seq \($0.anchor.seq)"
        }
        logger.info(
          "audit retention pruned the decision log",
          metadata: [
            "removed": "\(removed)",
            "tenants": "\(tenants.joined(separator: "; "))",
            "cutoff_ms": "\(cutoff)", "duration": "\(elapsed)",
          ])
      } else {
        logger.debug("audit retention: nothing to prune", metadata: ["cutoff_ms": "\(cutoff)"])
      }
      return results
    } catch {
      totals.withLock { $0.failed += 1 }
      logger.error(
        "audit retention did not prune", metadata: ["error": "\(error)", "cutoff_ms": "\(cutoff)"])
      return nil
    }
  }

  /// Copies the totals into the metrics (a scrape hook of `GET /metrics`).
  public func export(to metrics: ServerMetrics) {
    let t = snapshot
    metrics.observeTotal("sentinel_audit_retention_runs_total", ("result", "success"), total: t.succeeded)
    metrics.observeTotal("sentinel_audit_retention_runs_total", ("result", "failure"), total: t.failed)
    metrics.observeTotal("sentinel_audit_pruned_records_total", total: t.removed)
  }
}
