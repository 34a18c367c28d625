// `sentinel serve --redis`: the stream consumer's counts on the daemon's `GET /metrics`
// (docs/operations.md, "Redis Streams" → "Metrics"). The consumer keeps running totals
// (`ConsumerMetrics`); each scrape brings the Prometheus counters up to them.

import SentinelServer
import SentinelStreams

/// Copies a stream consumer's counts into the daemon's metrics.
enum StreamMetrics {
  /// Counters `sentinel_stream_events_total{outcome}`, `sentinel_stream_reconnects_total`,
  /// `sentinel_stream_fence_conflicts_total`, `sentinel_stream_batches_total`, `sentinel_stream_commits_total`; gauges
  /// `sentinel_stream_pending` and `sentinel_stream_lag`.
  static func export(_ m: ConsumerMetrics, to metrics: ServerMetrics) {
    let outcomes: [(String, Int)] = [
      ("read", m.machine.read), ("decided", m.decided), ("duplicate", m.duplicates),
      ("dead_letter", m.deadLetters), ("redelivered", m.machine.redeliveries),
      ("trimmed", m.machine.trimmed), ("claimed", m.machine.claimed), ("published", m.published),
    ]
    for (outcome, total) in outcomes {
      metrics.observeTotal("sentinel_stream_events_total", ("outcome", outcome), total: total)
    }
    metrics.observeTotal("sentinel_stream_reconnects_total", total: m.machine.reconnects)
    metrics.observeTotal("sentinel_stream_fence_conflicts_total", total: m.fenceConflicts)
    metrics.observeTotal("sentinel_stream_batches_total", total: m.batches)
    metrics.observeTotal("sentinel_stream_commits_total", total: m.commits)
    metrics.observeGauge("sentinel_stream_pending", value: m.pending)
    metrics.observeGauge("sentinel_stream_lag", value: m.lag)
  }
}
