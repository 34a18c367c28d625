// A state's collections (a windowed aggregate's entries, a `distinct` or `seen` aggregate's set
// of key forms or its value times) change in place: recording an event into a state keeps the
// collection's storage, except when it grows (doubling: ~11 times in 2,000 events) or, pruned,
// shrinks to nothing.
//
// Before session 19 every `apply` copied the whole collection into new storage — the old
// payload was still referenced by the `switch` over the state's storage while it changed
// (AggregateState+Apply.swift, "In place") — in debug and release builds alike: the storage
// changed on every one of 2,000 events here.

import SentinelModel
@testable import SentinelState
import Testing

@Suite struct AggregateStateInPlaceTests {
  /// Events recorded per state: the collection grows ~11 times (doubling) meanwhile.
  static let events = 2000
  /// The most times `events` recordings may replace the collection's storage: its growth, with
  /// room to spare, and far below once per event.
  static let allowed = 40

  /// The address of the state's collection storage (nil when it keeps none: inline forms,
  /// scalars): the same before and after a change made in place.
  static func storageIdentity(_ s: AggregateState) -> Int? {
    switch s.storage {
    case .entries(let xs): return withUnsafeBytes(of: xs) { $0.load(as: Int.self) }
    case .valueSet(let keys): return withUnsafeBytes(of: keys) { $0.load(as: Int.self) }
    case .valueTimes(let times): return withUnsafeBytes(of: times) { $0.load(as: Int.self) }
    default: return nil
    }
  }

  /// Records `values` one second apart from time 0, counting how often the collection's storage
  /// was replaced by another (an inline form becoming a collection counts once).
  static func replacements(
    _ spec: AggregateSpec, _ values: [(value: Value, key: String?)], into state: inout AggregateState
  ) -> Int {
    var replaced = 0
    var identity = storageIdentity(state)
    for (i, v) in values.enumerated() {
      state.apply(spec, at: at(Int64(i)), value: v.value, valueKey: v.key)
      let now = storageIdentity(state)
      if now != identity { replaced += 1 }
      identity = now
    }
    return replaced
  }

  /// Every kind whose state keeps a collection, windowed (a day, so nothing expires) and, for
  /// `distinct` and `seen`, unbounded.
  static let specs: [AggregateSpec] = [
    AggregateSpec(name: "count", kind: .count, windowNanos: 86_400 * secondNanos),
    AggregateSpec(name: "sum", kind: .sum, windowNanos: 86_400 * secondNanos, valueType: .int),
    AggregateSpec(name: "stats", kind: .stats, windowNanos: 86_400 * secondNanos, valueType: .int),
    AggregateSpec(name: "last", kind: .last, windowNanos: 86_400 * secondNanos, valueType: .int),
    AggregateSpec(name: "distinct", kind: .distinct, windowNanos: 86_400 * secondNanos, valueType: .string),
    AggregateSpec(name: "seen", kind: .seen, windowNanos: 86_400 * secondNanos, valueType: .string),
    AggregateSpec(name: "distinct", kind: .distinct, valueType: .string),
    AggregateSpec(name: "seen", kind: .seen, valueType: .string),
  ]

  /// The values recorded: a distinct string each for `distinct` and `seen` (so that their sets
  /// grow), else an int; with their key forms, all made before counting.
  static func values(for spec: AggregateSpec) -> [(value: Value, key: String?)] {
    (0..<events).map { i in
      if spec.kind == .distinct || spec.kind == .seen {
        let v = Value.string("value-number-\(i)-long-enough-to-be-on-the-heap")
        return (v, ValueKey.encode(v))
      }
      return (.int(Int64(i)), nil)
    }
  }

  @Test(arguments: specs)
  func recordingChangesTheStateInPlace(_ spec: AggregateSpec) {
    let values = Self.values(for: spec)
    var state = AggregateState(kind: spec.kind)
    let replaced = Self.replacements(spec, values, into: &state)
    let window = spec.windowNanos.map(String.init) ?? "none"
    #expect(replaced <= Self.allowed, "\(spec.name), window \(window): \(replaced)")
    // Everything was recorded.
    let expected: Value =
      switch spec.kind {
      case .count, .distinct: .int(Int64(Self.events))
      case .sum: .int(Int64(Self.events * (Self.events - 1) / 2))
      case .stats: .int(Int64(Self.events))
      case .last: .int(Int64(Self.events - 1))
      case .seen: .bool(true)
      }
    let probe = values.first?.value
    let reading = state.read(spec, at: at(Int64(Self.events - 1)), current: nil, probe: probe)
    #expect(show(reading).first == show([expected]).first)
  }

  /// `readAndApplySeen`, the runtime's path for an unbounded `seen` aggregate, also inserts in
  /// place.
  @Test func readAndApplySeenInsertsInPlace() {
    var spec = AggregateSpec(name: "seen", kind: .seen, valueType: .string)
    let keys = Self.values(for: spec).compactMap(\.key)
    var state = AggregateState(kind: .seen)
    var firstSeen = 0
    var replaced = 0
    var identity = Self.storageIdentity(state)
    for (i, key) in keys.enumerated() {
      if state.readAndApplySeen(&spec, at: at(Int64(i)), key: key) == false { firstSeen += 1 }
      let now = Self.storageIdentity(state)
      if now != identity { replaced += 1 }
      identity = now
    }
    #expect(replaced <= Self.allowed, "readAndApplySeen: \(replaced)")
    #expect(firstSeen == Self.events, "each key is new when first recorded")
    #expect(state.readAndApplySeen(&spec, at: at(Int64(Self.events)), key: keys[0]) == true)
  }

  /// Pruning removes expired entries in place: a one-minute window over events a second apart
  /// holds ~60 entries however many events pass, in the same storage.
  @Test(arguments: [
    AggregateSpec(name: "count", kind: .count, windowNanos: 60 * secondNanos),
    AggregateSpec(name: "sum", kind: .sum, windowNanos: 60 * secondNanos, valueType: .int),
    AggregateSpec(name: "distinct", kind: .distinct, windowNanos: 60 * secondNanos, valueType: .string),
  ])
  func pruningChangesTheStateInPlace(_ spec: AggregateSpec) {
    let values = Self.values(for: spec)
    var state = AggregateState(kind: spec.kind)
    let replaced = Self.replacements(spec, values, into: &state)
    #expect(replaced <= Self.allowed, "\(spec.name): \(replaced)")
    #expect(state.retainedCount <= 61, "expired entries are pruned: \(state.retainedCount)")
  }
}
