// SentinelState — the runtime's durable memory.
//
// Pipeline of one event, as the runtime drives it:
//   StateStore.loadState → AggregateState.read (what conditions see) → rules run →
//   AggregateState.apply (record the event) → StateBatch → StateStore.commit (durable).
//
// This file: the event-time window arithmetic every aggregate kind shares.

import SentinelModel

// MARK: - Window

/// The entries an aggregate reading may see: those with time in `(lower, upper]`.
/// A nil bound is open. Unbounded aggregates see every recorded entry (both bounds nil).
struct Window: Sendable {
  /// Exclusive lower bound; nil when there is none.
  var lower: Timestamp?
  /// Inclusive upper bound; nil when there is none.
  var upper: Timestamp?

  /// Every entry, whatever its time.
  static let all = Window(lower: nil, upper: nil)

  /// The window of `spec` at event time `t`: `(t − W, t]`, or everything when unbounded.
  init(_ spec: AggregateSpec, at t: Timestamp) {
    if let w = spec.windowNanos {
      lower = Window.subtract(w, from: t)
      upper = t
    } else {
      lower = nil
      upper = nil
    }
  }

  init(lower: Timestamp?, upper: Timestamp?) {
    self.lower = lower
    self.upper = upper
  }

  /// Whether an entry recorded at `time` is inside the window.
  @inline(__always)
  func contains(_ time: Timestamp) -> Bool {
    if let u = upper, u < time { return false }
    if let l = lower, time <= l { return false }
    return true
  }

  /// `t − nanos` (a negative window counts as 0); nil when that is below every representable
  /// timestamp, i.e. the bound is open.
  static func subtract(_ nanos: Int64, from t: Timestamp) -> Timestamp? {
    let w = max(0, nanos)
    let (q, r) = w.quotientAndRemainder(dividingBy: 1_000_000_000)
    var (seconds, overflow) = t.seconds.subtractingReportingOverflow(q)
    if overflow { return nil }
    var n = Int64(t.nanos) - r
    if n < 0 {
      n += 1_000_000_000
      (seconds, overflow) = seconds.subtractingReportingOverflow(1)
      if overflow { return nil }
    }
    return Timestamp(seconds: seconds, nanos: Int32(truncatingIfNeeded: n))
  }
}
