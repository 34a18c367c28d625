// The daemon's metrics: swift-metrics handles (Counter, Timer, Recorder, Gauge) made by a
// `PrometheusMetricsFactory` over the daemon's own `PrometheusCollectorRegistry`, which
// `GET /metrics` renders in the Prometheus text format.
//
//   sentinel_decisions_total{action}                 decisions answered 200 (after their commit)
//   sentinel_rule_matches_total{rule}                matched rules of those decisions
//   sentinel_duplicate_events_total                  repeated event ids answered with the original
//   sentinel_decision_evaluation_seconds             histogram: decode + state + rules (no commit)
//   sentinel_http_request_duration_seconds{route}    histogram: whole request, as the server saw it
//   sentinel_http_requests_total{route,status}       every answer
//   sentinel_errors_total{kind}                      every error answer and rejected event, by kind
//   sentinel_commits_total{result}                   group commits (success, failure)
//   sentinel_commit_group_size                       histogram: decisions per group commit
//   sentinel_commit_duration_seconds                 histogram: one commit (the fsync included)
//   sentinel_bundle_reloads_total{result}            bundle reloads (success, failure)
//   sentinel_list_changes_total{result}              run-time list changes (success, failure)
//   sentinel_bundle_info{tenant,digest}              1 for the active bundle of each tenant
//
// NOTE: handles are made once and cached (a registry lookup takes a lock and allocates the
// label list); label values come from closed sets (actions, the bundle's rule ids, routes,
// error kinds), never from request data, so the number of series stays bounded.

import CoreMetrics
import Prometheus
public import SentinelRuntime
import Synchronization

/// The daemon's metrics, rendered by `GET /metrics`.
public final class ServerMetrics: Sendable {
  let registry: PrometheusCollectorRegistry
  let factory: PrometheusMetricsFactory
  let decisionsByAction: [DecisionAction: CoreMetrics.Counter]
  let duplicates: CoreMetrics.Counter
  let evaluation: CoreMetrics.Timer
  let commitsOK: CoreMetrics.Counter
  let commitsFailed: CoreMetrics.Counter
  let commitSize: CoreMetrics.Recorder
  let commitDuration: CoreMetrics.Timer
  let reloadsOK: CoreMetrics.Counter
  let reloadsFailed: CoreMetrics.Counter
  let listChangesOK: CoreMetrics.Counter
  let listChangesFailed: CoreMetrics.Counter
  /// Cached handles by label value (rule ids, routes, error kinds are bounded sets).
  let ruleCounters = Mutex<[String: CoreMetrics.Counter]>([:])
  let errorCounters = Mutex<[String: CoreMetrics.Counter]>([:])
  let requestTimers = Mutex<[String: CoreMetrics.Timer]>([:])
  let requestCounters = Mutex<[String: CoreMetrics.Counter]>([:])
  /// The active bundle digest of each tenant, with its info gauge.
  let bundleInfo = Mutex<[String: (digest: String, gauge: CoreMetrics.Gauge)]>([:])

  /// Metrics for a daemon that starts with `bundle` as the tenant `default`'s bundle.
  public init(bundle: LoadedBundle) {
    let registry = PrometheusCollectorRegistry()
    var factory = PrometheusMetricsFactory(registry: registry)
    // Decisions take microseconds, requests around a millisecond (a commit is an fsync).
    factory.durationHistogramBuckets = [
      "sentinel_decision_evaluation_seconds": [
        .microseconds(5), .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100),
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(5),
      ],
      "sentinel_http_request_duration_seconds": Self.requestBuckets,
      "sentinel_commit_duration_seconds": Self.requestBuckets,
    ]
    factory.valueHistogramBuckets = ["sentinel_commit_group_size": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]]
    self.registry = registry
    self.factory = factory
    var byAction: [DecisionAction: CoreMetrics.Counter] = [:]
    for action in DecisionAction.allCases {
      byAction[action] = CoreMetrics.Counter(
        label: "sentinel_decisions_total", dimensions: [("action", action.rawValue)], factory: factory)
    }
    decisionsByAction = byAction
    duplicates = CoreMetrics.Counter(label: "sentinel_duplicate_events_total", factory: factory)
    evaluation = CoreMetrics.Timer(label: "sentinel_decision_evaluation_seconds", factory: factory)
    commitsOK = CoreMetrics.Counter(
      label: "sentinel_commits_total", dimensions: [("result", "success")], factory: factory)
    commitsFailed = CoreMetrics.Counter(
      label: "sentinel_commits_total", dimensions: [("result", "failure")], factory: factory)
    commitSize = CoreMetrics.Recorder(label: "sentinel_commit_group_size", aggregate: true, factory: factory)
    commitDuration = CoreMetrics.Timer(label: "sentinel_commit_duration_seconds", factory: factory)
    reloadsOK = CoreMetrics.Counter(
      label: "sentinel_bundle_reloads_total", dimensions: [("result", "success")], factory: factory)
    reloadsFailed = CoreMetrics.Counter(
      label: "sentinel_bundle_reloads_total", dimensions: [("result", "failure")], factory: factory)
    listChangesOK = CoreMetrics.Counter(
      label: "sentinel_list_changes_total", dimensions: [("result", "success")], factory: factory)
    listChangesFailed = CoreMetrics.Counter(
      label: "sentinel_list_changes_total", dimensions: [("result", "failure")], factory: factory)
    // Every rule of the bundle shows from the start, at 0.
    for rule in bundle.bundle.rules { _ = ruleCounter(rule.id) }
    setActiveBundle(tenant: "default", digest: bundle.digest)
  }

  static let requestBuckets: [Duration] = [
    .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
    .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(100), .milliseconds(500),
    .seconds(1), .seconds(5),
  ]

  // MARK: - Recording

  /// Records what deciding one event gave (called once its answer is known).
  public func record(_ outcome: DecisionOutcome) {
    switch outcome {
    case .decided(let d, _, let micros):
      decisionsByAction[d.action]?.increment()
      for id in d.ruleIDs { ruleCounter(id).increment() }
      evaluation.recordMicroseconds(micros)
    case .duplicate(_, _, let micros):
      duplicates.increment()
      evaluation.recordMicroseconds(micros)
    case .rejected: recordError(kind: "invalid_event")
    case .empty: recordError(kind: "empty_body")
    case .storeFailed: recordError(kind: "store_unavailable")
    }
  }

  /// Counts one error of `kind` (a fixed, lowercase name: `invalid_event`, `rate_limited`, …).
  public func recordError(kind: String) {
    cached(errorCounters, kind) {
      CoreMetrics.Counter(label: "sentinel_errors_total", dimensions: [("kind", kind)], factory: factory)
    }
    .increment()
  }

  /// Records one answered request: its route pattern (not its path), status and duration.
  public func recordRequest(route: String, status: Int, nanoseconds: Int64) {
    cached(requestTimers, route) {
      CoreMetrics.Timer(
        label: "sentinel_http_request_duration_seconds", dimensions: [("route", route)], factory: factory)
    }
    .recordNanoseconds(nanoseconds)
    cached(requestCounters, "\(route) \(status)") {
      CoreMetrics.Counter(
        label: "sentinel_http_requests_total", dimensions: [("route", route), ("status", String(status))],
        factory: factory)
    }
    .increment()
  }

  /// Records one group commit of `size` decisions.
  public func recordCommit(size: Int, duration: Duration, succeeded: Bool) {
    (succeeded ? commitsOK : commitsFailed).increment()
    commitSize.record(size)
    let (s, attos) = duration.components
    commitDuration.recordNanoseconds(s * 1_000_000_000 + attos / 1_000_000_000)
  }

  /// Records a run-time list change (`PUT`/`PATCH /v1/lists/{name}`): stored and installed, or
  /// failed in the store (refused bodies are not changes).
  public func recordListChange(succeeded: Bool) {
    (succeeded ? listChangesOK : listChangesFailed).increment()
  }

  /// Records a bundle reload: on success, `digest` becomes the tenant's active bundle.
  public func recordReload(tenant: String = "default", digest: String, succeeded: Bool) {
    guard succeeded else {
      reloadsFailed.increment()
      return
    }
    reloadsOK.increment()
    setActiveBundle(tenant: tenant, digest: digest)
  }

  /// Sets `sentinel_bundle_info{tenant,digest}` to 1 for the active digest (and drops the old one).
  public func setActiveBundle(tenant: String, digest: String) {
    bundleInfo.withLock { info in
      if let old = info[tenant] {
        if old.digest == digest { return }
        old.gauge.destroy()
      }
      let gauge = CoreMetrics.Gauge(
        label: "sentinel_bundle_info", dimensions: [("tenant", tenant), ("digest", digest)], factory: factory)
      gauge.record(1)
      info[tenant] = (digest, gauge)
    }
  }

  /// The Prometheus text exposition of every metric.
  public func render() -> [UInt8] { registry.emitToBuffer() }

  // MARK: - Sources read at scrape time

  /// The last totals seen of each external counter (`observeTotals`), by label and dimension.
  let externalTotals = Mutex<[String: Int]>([:])
  let externalCounters = Mutex<[String: CoreMetrics.Counter]>([:])
  let externalGauges = Mutex<[String: CoreMetrics.Gauge]>([:])

  /// Brings the counter `label{dimension}` up to `total`, a running total kept elsewhere (the
  /// stream consumer's counts): it grows by the difference since the last call.
  public func observeTotal(_ label: String, _ dimension: (String, String)? = nil, total: Int) {
    let key = label + "|" + (dimension.map { $0.0 + "=" + $0.1 } ?? "")
    let delta = externalTotals.withLock { last -> Int in
      let d = total - (last[key] ?? 0)
      if d > 0 { last[key] = total }
      return d
    }
    guard delta > 0 else { return }
    cached(externalCounters, key) {
      CoreMetrics.Counter(label: label, dimensions: dimension.map { [$0] } ?? [], factory: factory)
    }
    .increment(by: delta)
  }

  /// Sets the gauge `label` to `value`.
  public func observeGauge(_ label: String, value: Int) {
    cached(externalGauges, label) { CoreMetrics.Gauge(label: label, factory: factory) }.record(value)
  }

  // MARK: - Handles

  func ruleCounter(_ id: String) -> CoreMetrics.Counter {
    cached(ruleCounters, id) {
      CoreMetrics.Counter(label: "sentinel_rule_matches_total", dimensions: [("rule", id)], factory: factory)
    }
  }

  func cached<H: Sendable>(_ table: borrowing Mutex<[String: H]>, _ key: String, make: () -> H) -> H {
    table.withLock { t in
      if let h = t[key] { return h }
      let h = make()
      t[key] = h
      return h
    }
  }
}
