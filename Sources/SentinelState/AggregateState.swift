// TEMPORARY naive aggregate state (keeps every entry in the window); replaced by the real
// implementation of the SentinelState target.

import SentinelModel

/// The per-(aggregate, key) state of one aggregate.
public struct AggregateState: Sendable, Equatable {
  struct Entry: Sendable, Equatable {
    var time: Timestamp
    var value: String
    var raw: Value
    static func == (a: Entry, b: Entry) -> Bool { a.time == b.time && a.value == b.value }
  }
  var kind: AggregateKind
  var entries: [Entry] = []

  /// An empty state.
  public init(kind: AggregateKind) { self.kind = kind }

  static func nanos(_ t: Timestamp) -> (Int64, Int32) { (t.seconds, t.nanos) }

  func inWindow(_ e: Entry, _ spec: AggregateSpec, _ t: Timestamp) -> Bool {
    guard e.time <= t else { return false }
    guard let w = spec.windowNanos else { return true }
    guard let start = Timestamp.make(seconds: t.seconds, nanos: Int64(t.nanos) - w) else { return true }
    return e.time > start
  }

  /// The values of `spec.variables` at `t`.
  public func read(_ spec: AggregateSpec, at t: Timestamp, current: Value?, probe: Value?) -> [Value?] {
    var xs = entries.filter { inWindow($0, spec, t) }
    if spec.includeCurrent, let c = current {
      xs.append(Entry(time: t, value: ValueKey.encode(c) ?? "", raw: c))
    }
    switch spec.kind {
    case .count: return [.int(Int64(xs.count))]
    case .distinct: return [.int(Int64(Set(xs.map(\.value)).count))]
    case .sum:
      if spec.valueType == .int {
        var s: Int64 = 0
        for x in xs { if case .int(let i) = x.raw { s = s &+ i } }
        return [.int(s)]
      }
      var s = 0.0
      for x in xs { s += Self.number(x.raw) }
      return [.double(s)]
    case .last:
      guard let l = xs.last else { return [nil, nil] }
      return [l.raw, .timestamp(l.time)]
    case .stats:
      guard !xs.isEmpty else { return [.int(0), nil, nil] }
      let n = Double(xs.count)
      let mean = xs.reduce(0.0) { $0 + Self.number($1.raw) } / n
      let v = xs.reduce(0.0) { $0 + (Self.number($1.raw) - mean) * (Self.number($1.raw) - mean) } / n
      return [.int(Int64(xs.count)), .double(mean), .double(v.squareRoot())]
    case .seen:
      guard let p = probe, let k = ValueKey.encode(p) else { return [nil] }
      return [.bool(xs.contains { $0.value == k })]
    }
  }

  static func number(_ v: Value) -> Double {
    switch v {
    case .int(let i): return Double(i)
    case .double(let d): return d
    case .uint(let u): return Double(u)
    default: return 0
    }
  }

  /// Records a matching event.
  public mutating func apply(_ spec: AggregateSpec, at t: Timestamp, value: Value) {
    entries.append(Entry(time: t, value: ValueKey.encode(value) ?? "", raw: value))
  }
}

/// Canonical string forms of keys and values.
public enum ValueKey {
  /// A canonical, injective string form; nil for errors.
  public static func encode(_ v: Value) -> String? {
    switch v {
    case .error, .type, .optional: return nil
    case .string(let s): return "s" + s
    default: return "v" + v.description
    }
  }
}
