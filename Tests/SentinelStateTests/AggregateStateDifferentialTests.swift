// AggregateState against a naive model that keeps every event in a list and recomputes each
// reading from scratch, over random streams (ties, out-of-order times, every kind, windowed and
// unbounded, current included or not). The model states the semantics directly:
// - windowed: an entry is visible at t when its time is in (t − W, t] and it was not pruned, i.e.
//   its time is above newest − W (newest = the greatest time recorded before the reading);
//   `distinct`/`seen` look at each value's latest time;
// - unbounded: every recorded entry is visible.
// Every step also round-trips the state through its binary form.

import SentinelModel
import SentinelState
import Testing

/// The naive model of one aggregate's state.
private struct NaiveAggregate {
  var events: [(time: Timestamp, value: Value)] = []

  var newest: Timestamp? { events.map(\.time).max() }

  func visible(_ spec: AggregateSpec, at t: Timestamp, _ time: Timestamp) -> Bool {
    guard let w = spec.windowNanos else { return true }
    guard time <= t, time > t.minus(w) else { return false }
    if let n = newest, time <= n.minus(w) { return false }
    return true
  }

  /// Each value key's latest time.
  var latest: [String: Timestamp] {
    var out: [String: Timestamp] = [:]
    for e in events {
      guard let k = ValueKey.encode(e.value) else { continue }
      if let p = out[k], p >= e.time { continue }
      out[k] = e.time
    }
    return out
  }

  func read(_ spec: AggregateSpec, at t: Timestamp, current: Value?, probe: Value?) -> [Value?] {
    let current = spec.includeCurrent ? current : nil
    let seen = events.filter { visible(spec, at: t, $0.time) }
    switch spec.kind {
    case .count: return [.int(Int64(seen.count + (current == nil ? 0 : 1)))]
    case .sum:
      let values = seen.map(\.value) + (current.map { [$0] } ?? [])
      if spec.valueType == .int {
        var total: Int64 = 0
        for v in values {
          guard case .int(let i) = v else { return [nil] }
          let (r, o) = total.addingReportingOverflow(i)
          if o { return [.error(CELError.overflowError)] }
          total = r
        }
        return [.int(total)]
      }
      var total = 0.0
      for v in values {
        switch v {
        case .int(let i): total += Double(i)
        case .double(let d): total += d
        default: return [nil]
        }
      }
      return [.double(total)]
    case .distinct:
      var keys: Set<String> = []
      if spec.windowNanos == nil {
        keys = Set(events.compactMap { ValueKey.encode($0.value) })
      } else {
        for (k, time) in latest where visible(spec, at: t, time) { keys.insert(k) }
      }
      if let c = current, let k = ValueKey.encode(c) { keys.insert(k) }
      return [.int(Int64(keys.count))]
    case .last:
      if let c = current { return [c, .timestamp(t)] }
      if spec.windowNanos == nil, let e = events.last { return [e.value, .timestamp(e.time)] }
      if let e = seen.last { return [e.value, .timestamp(e.time)] }
      return [nil, nil]
    case .stats:
      let xs = (seen.map(\.value) + (current.map { [$0] } ?? [])).compactMap { v -> Double? in
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
      }
      guard !xs.isEmpty else { return [.int(0), nil, nil] }
      let mean = xs.reduce(0, +) / Double(xs.count)
      let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)
      return [.int(Int64(xs.count)), .double(mean), .double(variance.squareRoot())]
    case .seen:
      guard let probe, let k = ValueKey.encode(probe) else { return [nil] }
      if let c = current, ValueKey.encode(c) == k { return [.bool(true)] }
      if spec.windowNanos == nil { return [.bool(events.contains { ValueKey.encode($0.value) == k })] }
      if let time = latest[k], visible(spec, at: t, time) { return [.bool(true)] }
      return [.bool(false)]
    }
  }
}

extension Timestamp {
  /// `self − nanos`, saturating at the least representable time (tests stay far from it).
  func minus(_ nanos: Int64) -> Timestamp {
    Timestamp.make(seconds: seconds, nanos: Int64(self.nanos) - nanos)
      ?? Timestamp(seconds: Timestamp.minSeconds)
  }
}

/// Readings agree: exactly, except stats' mean and stddev (Welford vs two-pass) within 1e-9.
private func agree(_ a: [Value?], _ b: [Value?], stats: Bool) -> Bool {
  guard a.count == b.count else { return false }
  for (x, y) in zip(a, b) {
    switch (x, y) {
    case (nil, nil): continue
    case (.double(let p)?, .double(let q)?) where stats:
      if abs(p - q) > 1e-9 * max(1, abs(p), abs(q)) { return false }
    case (.error(let p)?, .error(let q)?):
      if p.kind != q.kind { return false }
    case (let p?, let q?):
      if Value.render(p) != Value.render(q) { return false }
    default: return false
    }
  }
  return true
}

@Suite struct AggregateStateDifferentialTests {
  static func randomValue(_ kind: AggregateKind, _ spec: AggregateSpec, _ rng: inout SplitMix64) -> Value {
    switch kind {
    case .count: return .null
    case .sum where spec.valueType == .int:
      // Mostly small; sometimes huge, to reach overflow.
      return rng.next() % 20 == 0
        ? .int(Int64.max / 3 * (rng.next() % 2 == 0 ? 1 : -1)) : .int(Int64(rng.next() % 200) - 50)
    case .sum, .stats:
      return rng.next() % 2 == 0 ? .int(Int64(rng.next() % 100)) : .double(Double(rng.next() % 10_000) / 7)
    case .distinct, .seen, .last:
      let pool: [Value] = [
        .string("a"), .string("b"), .string("c"), .int(1), .double(1), .uint(2), .bool(true),
        .list([.string("a")]), .null, .string("d"), .string("e"),
      ]
      return pool[Int(rng.next() % UInt64(pool.count))]
    }
  }

  static func specs() -> [AggregateSpec] {
    var out: [AggregateSpec] = []
    for kind in AggregateKind.allCases {
      for window: Int64? in [nil, 0, 10 * secondNanos, 3 * secondNanos + 1] {
        for include in [true, false] {
          let types: [CELType?] = kind == .sum ? [.int, .double] : [kind == .count ? nil : .dyn]
          for vt in types {
            out.append(
              AggregateSpec(
                name: "a", kind: kind, windowNanos: window, includeCurrent: include, valueType: vt))
          }
        }
      }
    }
    return out
  }

  @Test(arguments: [false, true])
  func matchesNaiveModel(outOfOrder: Bool) throws {
    var rng = SplitMix64(seed: outOfOrder ? 7 : 3)
    for spec in Self.specs() {
      for _ in 0..<3 {
        var model = NaiveAggregate()
        var s = AggregateState(kind: spec.kind)
        // The runtime's path: key forms computed once by the caller and passed in.
        var keyed = AggregateState(kind: spec.kind)
        var clock: Int64 = 0
        for step in 0..<100 {
          // Time moves in steps of 0–1.5 s (often 0: ties); sometimes backwards.
          let jump = Int64(rng.next() % 4) * 500_000_000
          clock += jump
          var time = clock
          if outOfOrder && rng.next() % 4 == 0 { time -= Int64(rng.next() % 12) * 1_000_000_000 }
          let t = at(0, time)
          let value = Self.randomValue(spec.kind, spec, &rng)
          let matches = rng.next() % 4 != 0
          let probe: Value? = rng.next() % 8 == 0 ? nil : Self.randomValue(spec.kind, spec, &rng)
          let current = matches ? value : nil
          let got = s.read(spec, at: t, current: current, probe: probe)
          let want = model.read(spec, at: t, current: current, probe: probe)
          guard agree(got, want, stats: spec.kind == .stats) else {
            Issue.record("\(spec) step \(step) at \(t): got \(show(got)), model \(show(want))")
            return
          }
          let keyedGot = keyed.reading(
            spec, at: t, current: current, probe: probe, currentKey: current.flatMap(ValueKey.encode),
            probeKey: probe.flatMap(ValueKey.encode))
          guard agree(keyedGot.values, want, stats: spec.kind == .stats) else {
            Issue.record(
              "\(spec) step \(step) at \(t): with keys \(show(keyedGot.values)), model \(show(want))")
            return
          }
          // A count's reading as an integer (the runtime's path for `count`) is the same.
          if spec.kind == .count {
            var countSpec = spec
            let n = keyed.countInPlace(&countSpec, at: t, current: current != nil)
            guard agree([.int(n)], want, stats: false) else {
              Issue.record("\(spec) step \(step) at \(t): countInPlace \(n), model \(show(want))")
              return
            }
          }
          if matches {
            s.apply(spec, at: t, value: value)
            keyed.apply(spec, at: t, value: value, valueKey: ValueKey.encode(value))
            model.events.append((t, value))
          }
          guard keyed == s else {
            Issue.record("\(spec) step \(step): applying with a precomputed key form gives another state")
            return
          }
          let decoded = try AggregateState(decoding: s.encoded())
          guard decoded == s else {
            Issue.record("\(spec) step \(step): the state does not round-trip through its binary form")
            return
          }
          s = decoded
        }
      }
    }
  }

  /// `readAndApplySeen` (the runtime's path for an unbounded `seen` aggregate whose event
  /// matches, `StateCache.read`) against `reading` then `apply` with the same value as current
  /// and probe: the same reading and the same state; nil, and nothing changed, for every other
  /// spec and for a state it does not fit (then the caller reads and applies apart).
  @Test func seenReadAndRecordedInOneProbe() throws {
    var rng = SplitMix64(seed: 11)
    var fusedSteps = 0
    for spec in Self.specs() {
      var plain = AggregateState(kind: spec.kind)
      var fused = AggregateState(kind: spec.kind)
      var clock: Int64 = 0
      for step in 0..<100 {
        clock += Int64(rng.next() % 4) * 500_000_000
        let t = at(0, clock)
        let value = Self.randomValue(spec.kind, spec, &rng)
        // Only a matching value with a key form reaches it (the caller's test).
        guard rng.next() % 4 != 0, let key = ValueKey.encode(value) else { continue }
        let want = plain.reading(spec, at: t, current: value, probe: value, currentKey: key, probeKey: key)
        plain.apply(spec, at: t, value: value, valueKey: key)
        var inPlace = spec
        let before = fused
        if let got = fused.readAndApplySeen(&inPlace, at: t, key: key) {
          fusedSteps += 1
          guard spec.kind == .seen && spec.windowNanos == nil,
            agree([.bool(got)], want.values, stats: false)
          else {
            Issue.record("\(spec) step \(step): readAndApplySeen \(got), reading \(show(want.values))")
            return
          }
        } else {
          guard fused == before, spec.kind != .seen || spec.windowNanos != nil else {
            Issue.record("\(spec) step \(step): nil from readAndApplySeen for an unbounded seen state")
            return
          }
          fused.apply(spec, at: t, value: value, valueKey: key)
        }
        guard fused == plain else {
          Issue.record("\(spec) step \(step): readAndApplySeen leaves another state than apply")
          return
        }
      }
    }
    #expect(fusedSteps > 100)
    // A windowed state read through an unbounded spec (its values keep times): nil, unchanged.
    var windowed = AggregateState(kind: .seen)
    windowed.apply(
      AggregateSpec(name: "a", kind: .seen, windowNanos: 10 * secondNanos), at: at(0, 0), value: .string("x"))
    let kept = windowed
    var unbounded = AggregateSpec(name: "a", kind: .seen)
    #expect(
      windowed.readAndApplySeen(&unbounded, at: at(0, 1), key: ValueKey.encode(.string("x")) ?? "") == nil)
    #expect(windowed == kept)
  }
}
