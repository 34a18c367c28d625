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
    let storage = readableStorage(for: spec)
    let window = Window(spec, at: t)
    let current = spec.includeCurrent ? current : nil
    switch spec.kind {
    case .count: return [Self.readCount(storage, window, current)]
    case .sum: return [Self.readSum(spec, storage, window, current)]
    case .distinct: return [Self.readDistinct(storage, window, current)]
    case .last: return Self.readLast(storage, window, current, at: t)
    case .stats: return Self.readStats(spec, storage, window, current)
    case .seen: return [Self.readSeen(storage, window, current, probe)]
    }
  }

  /// The storage a reading through `spec` may use (`.empty` when it does not fit the spec).
  func readableStorage(for spec: AggregateSpec) -> Storage {
    guard spec.kind == kind else { return .empty }
    if spec.windowNanos != nil && !storage.isWindowed { return .empty }
    return storage
  }

  // MARK: - Per kind

  private static func readCount(_ storage: Storage, _ window: Window, _ current: Value?) -> Value {
    var n: Int64
    switch storage {
    case .counter(let c): n = c
    case .entries(let xs):
      n = 0
      for e in xs where window.contains(e.time) { n += 1 }
    default: n = 0
    }
    if current != nil { n = n < .max ? n + 1 : n }
    return .int(n)
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

  private static func readDistinct(_ storage: Storage, _ window: Window, _ current: Value?) -> Value {
    var currentKey: String?
    if let c = current {
      guard let k = ValueKey.encode(c) else {
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
    case .valueTimes(let times):
      for (_, time) in times where window.contains(time) { n += 1 }
      if let k = currentKey, let time = times[k] { currentSeen = window.contains(time) }
    default: break
    }
    if currentKey != nil && !currentSeen { n += 1 }
    return .int(n)
  }

  private static func readLast(_ storage: Storage, _ window: Window, _ current: Value?, at t: Timestamp)
    -> [Value?]
  {
    if let c = current { return [c, .timestamp(t)] }
    switch storage {
    case .latest(let e): return [e.value, .timestamp(e.time)]
    case .entries(let xs):
      for e in xs.reversed() where window.contains(e.time) { return [e.value, .timestamp(e.time)] }
      return [nil, nil]
    default: return [nil, nil]
    }
  }

  private static func readStats(
    _ spec: AggregateSpec, _ storage: Storage, _ window: Window, _ current: Value?
  ) -> [Value?] {
    var w = Welford()
    switch storage {
    case .welford(let running): w = running
    case .entries(let xs):
      for e in xs where window.contains(e.time) { _ = w.add(e.value) }
    default: break
    }
    if let c = current, !w.add(c) {
      let e: Value = c.isError ? c : .error(CELError.noOverload("stats", [c]))
      return [e, e, e]
    }
    return w.reading
  }

  private static func readSeen(_ storage: Storage, _ window: Window, _ current: Value?, _ probe: Value?)
    -> Value?
  {
    guard let probe else { return nil }
    guard let key = ValueKey.encode(probe) else { return probe.isError ? probe : .bool(false) }
    switch storage {
    case .valueSet(let keys) where keys.contains(key): return .bool(true)
    case .valueTimes(let times):
      if let time = times[key], window.contains(time) { return .bool(true) }
    default: break
    }
    if let c = current, ValueKey.encode(c) == key { return .bool(true) }
    return .bool(false)
  }
}
