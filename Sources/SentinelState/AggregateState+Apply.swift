// Recording: `apply` adds one matching event to the state, then prunes what no later window can
// hold (entries with time ≤ newest − W).

public import SentinelModel

// MARK: - Recording

extension AggregateState {
  /// Records a matching event (value `.null` for `count`) at time `t`, then prunes what no later
  /// window can hold.
  ///
  /// A value the kind cannot aggregate is not recorded and changes nothing: a non-number for
  /// `sum` and `stats`, an error for the others. A state of another kind is first reset to an
  /// empty state of `spec.kind`; a state kept for another window mode is converted (windowed →
  /// unbounded folds the retained entries; unbounded → windowed starts empty, having no times).
  /// `valueKey` is `ValueKey.encode(value)` when the caller already has it (nil: computed here
  /// when the kind needs it).
  public mutating func apply(_ spec: AggregateSpec, at t: Timestamp, value: Value, valueKey: String? = nil) {
    var valueKey = valueKey
    if valueKey == nil && (spec.kind == .distinct || spec.kind == .seen) && !value.isError {
      valueKey = ValueKey.encode(value)
    }
    guard Self.accepts(value, spec.kind, valueKey: valueKey) else { return }
    if spec.kind != kind { self = AggregateState(kind: spec.kind) }
    conform(to: spec)
    if let n = newest, t <= n {} else { newest = t }
    let windowed = spec.windowNanos != nil

    switch (spec.kind, windowed) {
    case (.count, false):
      if case .counter(let c) = storage {
        storage = .counter(c < .max ? c + 1 : c)
      } else {
        storage = .counter(1)
      }
    case (.sum, false):
      var s = RunningSum()
      if case .sum(let running) = storage { s = running }
      _ = s.add(value)
      storage = .sum(s)
    case (.stats, false):
      var w = Welford()
      if case .welford(let running) = storage { w = running }
      _ = w.add(value)
      storage = .welford(w)
    case (.last, false):
      storage = .latest(value)
      latestTime = t
    case (.distinct, false), (.seen, false):
      guard let k = valueKey else { break }
      // NOTE: `if case`, not a `switch` on `storage`: changed inside a switch over it, the
      // set is shared with the switch's copy (see "In place" below).
      if case .valueSet = storage {
        _ = storage.insertKey(k)
      } else if case .oneValue(let o) = storage {
        if o != k { storage = .valueSet([o, k]) }
      } else {
        // One value: inline, no set (`Storage.oneValue`).
        storage = .oneValue(k)
      }
    case (.count, true):
      // One or two times inline (`Storage.fewTimes`), then the entries array (`if case`, as
      // above).
      if case .entries = storage {
        storage.appendEntry(Entry(time: t, value: .null))
      } else if case .fewTimes(let f) = storage {
        if let two = f.adding(t) {
          storage = .fewTimes(two)
        } else {
          // Room for a few more before the array grows.
          var xs = f.entries
          xs.reserveCapacity(8)
          xs.append(Entry(time: t, value: .null))
          storage = .entries(xs)
        }
      } else {
        storage = .fewTimes(FewTimes(t))
      }
      if let o = oldest, o <= t {} else { oldest = t }
    case (.sum, true), (.stats, true), (.last, true):
      if case .entries = storage {
        storage.appendEntry(Entry(time: t, value: value))
      } else {
        storage = .entries([Entry(time: t, value: value)])
      }
      if let o = oldest, o <= t {} else { oldest = t }
    case (.distinct, true), (.seen, true):
      guard let k = valueKey else { break }
      if case .valueTimes = storage {
        storage.recordTime(t, forKey: k)
      } else {
        storage = .valueTimes([k: t])
      }
      // A value's time only grows, so the least time can only grow: `oldest` stays a lower bound.
      if let o = oldest, o <= t {} else { oldest = t }
    }
    if let w = spec.windowNanos, let n = newest { prune(before: Window.subtract(w, from: n)) }
  }

  /// `readInPlace` and then `apply` for an event that matches an unbounded `seen` aggregate
  /// (`spec`) with a value whose key form is `key` (its current value and its probe): the
  /// reading's one value, `seen`, with the value recorded — one set probe, where the two calls
  /// hash the key twice. Nil, and nothing changed, when the state is not an unbounded `seen`
  /// state (or empty): the caller then reads and applies apart.
  public mutating func readAndApplySeen(_ spec: inout AggregateSpec, at t: Timestamp, key: String) -> Bool? {
    guard spec.kind == .seen, spec.windowNanos == nil, kind == .seen else { return nil }
    // The set changed outside any `switch` on `storage` (see "In place" below).
    if case .valueSet = storage {
      let inserted = storage.insertKey(key)
      if let n = newest, t <= n {} else { newest = t }
      // Seen before, or the current event counts (`readSeen`).
      return !inserted || spec.includeCurrent
    }
    switch storage {
    case .empty:
      // One value: inline, no set (`Storage.oneValue`).
      storage = .oneValue(key)
      if let n = newest, t <= n {} else { newest = t }
      return spec.includeCurrent
    case .oneValue(let o):
      if o == key {
        if let n = newest, t <= n {} else { newest = t }
        return true
      }
      storage = .valueSet([o, key])
      if let n = newest, t <= n {} else { newest = t }
      return spec.includeCurrent
    default: return nil
    }
  }

  /// Whether `apply` records `value` (whose key form is `valueKey`, for `distinct` and `seen`)
  /// for an aggregate of `kind`.
  static func accepts(_ value: Value, _ kind: AggregateKind, valueKey: String?) -> Bool {
    switch kind {
    case .count: return true
    case .sum, .stats: return numericValue(value) != nil
    case .last: return !value.isError
    case .distinct, .seen: return !value.isError && valueKey != nil
    }
  }

  // MARK: - Pruning

  /// Drops windowed entries with time ≤ `cutoff` (nil: nothing to drop).
  mutating func prune(before cutoff: Timestamp?) {
    guard let cutoff, let o = oldest, o <= cutoff else { return }
    // The collections changed outside any `switch` on `storage` (see "In place" below).
    if case .entries = storage {
      oldest = storage.removeEntries(through: cutoff)
      return
    }
    if case .valueTimes = storage {
      oldest = storage.removeTimes(through: cutoff)
      return
    }
    switch storage {
    case .fewTimes(let f):
      // The times after the cutoff, in order; unchanged when it drops none.
      var kept = f.first > cutoff ? FewTimes(f.first) : nil
      if let s = f.second, s > cutoff { kept = kept?.adding(s) ?? FewTimes(s) }
      guard kept?.count != f.count else { return }
      storage = kept.map { .fewTimes($0) } ?? .empty
      oldest = kept?.first
    default: break
    }
  }

  // MARK: - Window mode changes

  /// Converts the storage to the form `spec` needs (see `apply`).
  mutating func conform(to spec: AggregateSpec) {
    let windowed = spec.windowNanos != nil
    if storage.isInline && windowed != storage.isWindowed {
      // The mode changes: from the form the inline one stands for.
      storage = storage.canonical
    }
    switch storage {
    case .empty, .oneValue, .fewTimes: return
    case .counter, .sum, .welford, .latest, .valueSet:
      if windowed {
        storage = .empty
        oldest = nil
      }
    case .entries(let xs):
      guard !windowed else { return }
      oldest = nil
      switch kind {
      case .count: storage = .counter(Int64(xs.count))
      case .sum:
        var s = RunningSum()
        for e in xs { _ = s.add(e.value) }
        storage = .sum(s)
      case .stats:
        var w = Welford()
        for e in xs { _ = w.add(e.value) }
        storage = .welford(w)
      case .last:
        if let e = xs.last {
          storage = .latest(e.value)
          latestTime = e.time
        } else {
          storage = .empty
        }
      case .distinct, .seen: storage = .empty
      }
    case .valueTimes(let times):
      guard !windowed else { return }
      oldest = nil
      storage = .valueSet(Set(times.keys))
    }
  }
}

// MARK: - In place

// NOTE: each of these changes the collection inside the enum through a `mutating` method of the enum itself,
// called outside any `switch` over the enum (`if case .entries = storage`). The form it replaced — `switch
// storage { case .entries(var xs): storage = .empty; xs.append(…); storage = .entries(xs) }` — copied the
// whole collection on every call, in debug and release builds alike: the switch works on a copy of `storage`,
// released only after the change, so the buffer was never unique (`swift_retain` then
// `swift_isUniquelyReferenced` in the disassembly of `apply`; 33,390 non-unique appends and 10,885 non-unique
// removals per replay of the scaled reference corpus, counted with a `perf probe` on
// `_ContiguousArrayBuffer._consumeAndCreateNew`). A windowed state of n entries then cost an allocation and a
// copy of n entries per event. docs/performance.md, "s19-agg: the states changed in place (session 19, issue
// 4)".
extension Storage {
  /// Appends `e` to `.entries` in place; nothing for another form.
  mutating func appendEntry(_ e: Entry) {
    guard case .entries(var xs) = self else { return }
    self = .empty
    xs.append(e)
    self = .entries(xs)
  }

  /// Inserts `k` into `.valueSet` in place: whether it was new (false for another form).
  mutating func insertKey(_ k: String) -> Bool {
    guard case .valueSet(var keys) = self else { return false }
    self = .empty
    let inserted = keys.insert(k).inserted
    self = .valueSet(keys)
    return inserted
  }

  /// Sets `.valueTimes`' time of `k` to `t` in place, unless it already holds a later one.
  mutating func recordTime(_ t: Timestamp, forKey k: String) {
    guard case .valueTimes(var times) = self else { return }
    self = .empty
    if let previous = times[k], t <= previous {} else { times[k] = t }
    self = .valueTimes(times)
  }

  /// Removes `.entries`' entries with time ≤ `cutoff` in place (`.empty` when none is left):
  /// the least time left, nil when none.
  mutating func removeEntries(through cutoff: Timestamp) -> Timestamp? {
    guard case .entries(var xs) = self else { return nil }
    self = .empty
    xs.removeAll { $0.time <= cutoff }
    let least = xs.lazy.map(\.time).min()
    if !xs.isEmpty { self = .entries(xs) }
    return least
  }

  /// Removes `.valueTimes`' keys whose time is ≤ `cutoff` in place (`.empty` when none is left):
  /// the least time left, nil when none.
  mutating func removeTimes(through cutoff: Timestamp) -> Timestamp? {
    guard case .valueTimes(var times) = self else { return nil }
    self = .empty
    var least: Timestamp?
    // The first expired key apart: most prunes drop one, and an array for it was an allocation.
    var expired: String?
    var more: [String] = []
    for (k, time) in times {
      if time <= cutoff {
        if expired == nil { expired = k } else { more.append(k) }
      } else if least.map({ time < $0 }) ?? true {
        least = time
      }
    }
    if let expired { times[expired] = nil }
    for k in more { times[k] = nil }
    if !times.isEmpty { self = .valueTimes(times) }
    return least
  }
}
