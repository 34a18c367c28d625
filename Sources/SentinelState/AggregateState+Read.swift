// Readings: the values of an aggregate's variables at an event, from the state recorded before
// that event plus, when the spec says so, the event's own contribution. Pure: no state changes.

public import SentinelModel

// MARK: - Reading

extension AggregateState {
  /// The values of `spec.variables`, in that order, at event time `t` (nil = absent).
  /// - current: the current event's `of` value (`.null` for `count`) when the event matches the
  ///   aggregate's filter and has a key; nil when it does not contribute. It is included in the
  ///   reading only when `spec.includeCurrent`.
  /// - probe: the current event's `of` value whatever the filter (what `seen` looks up); nil when
  ///   the event has none.
  ///
  /// A state of another kind reads as empty; so does an unbounded state read through a windowed
  /// spec (it kept no times). A windowed state read through an unbounded spec holds all its
  /// entries. A current value the kind cannot aggregate (not a number for `sum` and `stats`, an
  /// error for `distinct`) makes the reading an error; an error `probe` is `seen`'s reading.
  public func read(_ spec: AggregateSpec, at t: Timestamp, current: Value?, probe: Value?) -> [Value?] {
    reading(spec, at: t, current: current, probe: probe).values
  }

  /// `read` without an array: the same values in an `AggregateReading`, for the per-event path.
  /// `currentKey` and `probeKey` are the key forms (`ValueKey.encode`) of `current` and `probe`
  /// when the caller already has them (nil: computed here when the kind needs them); a caller
  /// that passes one must pass the form of exactly that value.
  public func reading(
    _ spec: AggregateSpec, at t: Timestamp, current: Value?, probe: Value?, currentKey: String? = nil,
    probeKey: String? = nil
  ) -> AggregateReading {
    // NOTE: the storage is passed as it is, not returned by a helper (a copy, retaining its
    // contents, on every reading). A state of another kind, or an unbounded one read through a
    // windowed spec, reads as empty.
    if spec.kind == kind && (spec.windowNanos == nil || storage.isWindowed) {
      return Self.reading(
        spec, storage, latestTime, at: t, current: current, probe: probe, currentKey, probeKey)
    }
    return Self.reading(spec, .empty, latestTime, at: t, current: current, probe: probe, currentKey, probeKey)
  }

  /// `reading` for the per-event path, on a state and a spec read in place: `mutating` and
  /// `inout` only so that neither is copied to be read — a value read from an array element or
  /// through a pointer is otherwise copied for the call, retaining every reference it holds, an
  /// outlined copy per aggregate per event (docs/performance.md, "Replay: CPU per event, second
  /// round"). It changes neither.
  public mutating func readInPlace(
    _ spec: inout AggregateSpec, at t: Timestamp, current: Value?, probe: Value?, currentKey: String?,
    probeKey: String?
  ) -> AggregateReading {
    if spec.kind == kind && (spec.windowNanos == nil || storage.isWindowed) {
      return Self.reading(
        spec, storage, latestTime, at: t, current: current, probe: probe, currentKey, probeKey)
    }
    return Self.reading(spec, .empty, latestTime, at: t, current: current, probe: probe, currentKey, probeKey)
  }

  /// A `count` aggregate's reading (`spec.kind == .count`) as the integer `readInPlace` gives as
  /// `.int`, in place: no `AggregateReading` of three `Value?` made, copied and destroyed per
  /// event. `current`: whether the current event contributes (it matches the filter).
  public mutating func countInPlace(_ spec: inout AggregateSpec, at t: Timestamp, current: Bool) -> Int64 {
    let included = current && spec.includeCurrent
    if spec.kind == kind && (spec.windowNanos == nil || storage.isWindowed) {
      return Self.countOf(storage, Self.window(spec.windowNanos, at: t), included)
    }
    return Self.countOf(.empty, Self.window(spec.windowNanos, at: t), included)
  }

  /// A `distinct` aggregate's reading (`spec.kind == .distinct`) as the integer `readInPlace`
  /// gives as `.int`, in place: no `AggregateReading` made, copied and destroyed. Nil when the
  /// reading is an error (a current value included without a key form): the caller then reads
  /// through `readInPlace`. `current` and `currentKey` as there.
  public mutating func distinctInPlace(
    _ spec: inout AggregateSpec, at t: Timestamp, current: Value?, currentKey: String?
  ) -> Int64? {
    let included = spec.includeCurrent ? current : nil
    let key = included.flatMap { c in currentKey ?? ValueKey.encode(c) }
    let window = Self.window(spec.windowNanos, at: t)
    let v: Value
    if spec.kind == kind && (spec.windowNanos == nil || storage.isWindowed) {
      v = Self.readDistinct(storage, window, included, key)
    } else {
      v = Self.readDistinct(.empty, window, included, key)
    }
    if case .int(let n) = v { return n }
    return nil
  }

  /// An unbounded `last` aggregate's reading written straight to `slots[valueSlot]` and
  /// `slots[timeSlot]` (-1: not written), in place: no `AggregateReading` of three `Value?` made,
  /// copied and destroyed per event. False, and nothing written, when the spec is not an unbounded
  /// `last` or the state not one (the caller then reads through `readInPlace`). `current` as
  /// there.
  public mutating func lastInPlace(
    _ spec: inout AggregateSpec, at t: Timestamp, current: Value?, into slots: inout [Value?],
    _ valueSlot: Int, _ timeSlot: Int
  ) -> Bool {
    guard spec.kind == .last, kind == .last, spec.windowNanos == nil else { return false }
    // The latest entry's value (nil: nothing recorded); any other form is not an unbounded `last`.
    let latest: Value?
    switch storage {
    case .latest(let v): latest = v
    case .empty: latest = nil
    default: return false
    }
    let time: Timestamp?
    if let c = current, spec.includeCurrent {
      time = t
      slots.overwrite(valueSlot, with: c)
    } else {
      time = latest == nil ? nil : latestTime
      slots.overwrite(valueSlot, with: latest)
    }
    slots.overwrite(timeSlot, with: time.map { .timestamp($0) })
    return true
  }

  /// An unbounded `stats` aggregate's reading as its three numbers (count, mean, population
  /// standard deviation; mean and deviation meaningless when the count is 0, where the reading
  /// has them absent), in place: no `AggregateReading`. Nil when the spec is not an unbounded
  /// `stats`, the state not one, or the current value included is not a number (an error
  /// reading): the caller then reads through `readInPlace`.
  public mutating func statsInPlace(_ spec: inout AggregateSpec, at t: Timestamp, current: Value?) -> (
    count: Int64, mean: Double, deviation: Double
  )? {
    guard spec.kind == .stats, kind == .stats, spec.windowNanos == nil else { return nil }
    var w = Welford()
    switch storage {
    case .welford(let running): w = running
    case .empty: break
    default: return nil
    }
    if let c = current, spec.includeCurrent, !w.add(c) { return nil }
    return (w.count, w.mean, w.deviation)
  }

  /// `Window(spec, at: t)` from the spec's window length only: given the spec, the call copied it
  /// (retaining its name and type) for every reading of the per-event path.
  @inline(__always)
  private static func window(_ nanos: Int64?, at t: Timestamp) -> Window {
    guard let w = nanos else { return .all }
    return Window(lower: Window.subtract(w, from: t), upper: t)
  }

  /// `reading` from `storage` (the state's own, or `.empty` when it does not fit the spec).
  private static func reading(
    _ spec: AggregateSpec, _ storage: Storage, _ latestTime: Timestamp, at t: Timestamp, current: Value?,
    probe: Value?, _ currentKey: String?, _ probeKey: String?
  ) -> AggregateReading {
    let window = Self.window(spec.windowNanos, at: t)
    let included = spec.includeCurrent ? current : nil
    switch spec.kind {
    case .count: return AggregateReading(Self.readCount(storage, window, included))
    case .sum: return AggregateReading(Self.readSum(spec, storage, window, included))
    case .distinct:
      let key = included.flatMap { c in currentKey ?? ValueKey.encode(c) }
      return AggregateReading(Self.readDistinct(storage, window, included, key))
    case .last: return Self.readLast(storage, latestTime, window, included, at: t)
    case .stats: return Self.readStats(spec, storage, window, included)
    case .seen:
      let key = probe.flatMap { p in probeKey ?? ValueKey.encode(p) }
      let includedKey = included.flatMap { c in currentKey ?? ValueKey.encode(c) }
      return AggregateReading(Self.readSeen(storage, window, included, includedKey, probe, key))
    }
  }

  // MARK: - Per kind

  private static func readCount(_ storage: Storage, _ window: Window, _ current: Value?) -> Value {
    .int(countOf(storage, window, current != nil))
  }

  private static func countOf(_ storage: Storage, _ window: Window, _ current: Bool) -> Int64 {
    var n: Int64
    switch storage {
    case .counter(let c): n = c
    case .fewTimes(let f):
      n = window.contains(f.first) ? 1 : 0
      if let s = f.second, window.contains(s) { n += 1 }
    case .entries(let xs):
      n = 0
      for e in xs where window.contains(e.time) { n += 1 }
    default: n = 0
    }
    if current { n = n < .max ? n + 1 : n }
    return n
  }

  private static func readSum(_ spec: AggregateSpec, _ storage: Storage, _ window: Window, _ current: Value?)
    -> Value
  {
    var total = RunningSum()
    switch storage {
    case .sum(let s): total = s
    case .entries(let xs):
      for e in xs where window.contains(e.time) { _ = total.add(e.value) }
    default: break
    }
    if let c = current, !total.add(c) {
      return c.isError ? c : .error(CELError.noOverload("sum", [c]))
    }
    return total.result(spec)
  }

  private static func readDistinct(_ storage: Storage, _ window: Window, _ current: Value?, _ key: String?)
    -> Value
  {
    var currentKey: String?
    if let c = current {
      guard let k = key else {
        return c.isError ? c : .error(CELError.noOverload("distinct", [c]))
      }
      currentKey = k
    }
    var n: Int64 = 0
    var currentSeen = false
    switch storage {
    case .valueSet(let keys):
      n = Int64(keys.count)
      if let k = currentKey { currentSeen = keys.contains(k) }
    case .oneValue(let key):
      n = 1
      if let k = currentKey { currentSeen = k == key }
    case .valueTimes(let times):
      for (_, time) in times where window.contains(time) { n += 1 }
      if let k = currentKey, let time = times[k] { currentSeen = window.contains(time) }
    default: break
    }
    if currentKey != nil && !currentSeen { n += 1 }
    return .int(n)
  }

  private static func readLast(
    _ storage: Storage, _ latestTime: Timestamp, _ window: Window, _ current: Value?, at t: Timestamp
  ) -> AggregateReading {
    if let c = current { return AggregateReading(c, .timestamp(t)) }
    switch storage {
    case .latest(let v): return AggregateReading(v, .timestamp(latestTime))
    case .entries(let xs):
      for e in xs.reversed() where window.contains(e.time) {
        return AggregateReading(e.value, .timestamp(e.time))
      }
      return AggregateReading(nil, nil)
    default: return AggregateReading(nil, nil)
    }
  }

  private static func readStats(
    _ spec: AggregateSpec, _ storage: Storage, _ window: Window, _ current: Value?
  ) -> AggregateReading {
    var w = Welford()
    switch storage {
    case .welford(let running): w = running
    case .entries(let xs):
      for e in xs where window.contains(e.time) { _ = w.add(e.value) }
    default: break
    }
    if let c = current, !w.add(c) {
      let e: Value = c.isError ? c : .error(CELError.noOverload("stats", [c]))
      return AggregateReading(e, e, e)
    }
    return w.reading
  }

  private static func readSeen(
    _ storage: Storage, _ window: Window, _ current: Value?, _ currentKey: String?, _ probe: Value?,
    _ probeKey: String?
  ) -> Value? {
    guard let probe else { return nil }
    guard let key = probeKey else { return probe.isError ? probe : .bool(false) }
    switch storage {
    case .valueSet(let keys) where keys.contains(key): return .bool(true)
    case .oneValue(let k) where k == key: return .bool(true)
    case .valueTimes(let times):
      if let time = times[key], window.contains(time) { return .bool(true) }
    default: break
    }
    if current != nil, currentKey == key { return .bool(true) }
    return .bool(false)
  }
}

// MARK: - AggregateReading

/// The values of an aggregate's variables at one event (`AggregateSpec.variables`, in order; at
/// most three), kept inline: reading an aggregate allocates nothing.
public struct AggregateReading: Sendable {
  /// The number of values.
  public let count: Int
  private var first: Value?
  private var second: Value?
  private var third: Value?

  init(_ a: Value?) {
    count = 1
    first = a
  }

  init(_ a: Value?, _ b: Value?) {
    count = 2
    first = a
    second = b
  }

  init(_ a: Value?, _ b: Value?, _ c: Value?) {
    count = 3
    first = a
    second = b
    third = c
  }

  /// The value of variable `i` (nil: absent, or `i` out of range).
  public subscript(i: Int) -> Value? {
    switch i {
    case 0: return first
    case 1: return second
    case 2: return third
    default: return nil
    }
  }

  /// The values as an array.
  public var values: [Value?] { (0..<count).map { self[$0] } }
}
