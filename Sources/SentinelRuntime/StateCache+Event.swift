// The per-event aggregate path on the cache: from the state program's results (key, filter and
// value of each aggregate) to the readings the rules see and the updates the event makes, then
// the updates themselves once the event is decided (EventProcessor.swift, steps 3 and 5).
//
// NOTE: these are mutating methods of the cache, called once per event, rather than a loop in
// `EventProcessor` reaching into `cache` for each aggregate: each access to a class's stored
// property is checked for exclusivity at run time, and that loop paid ~3% of replay CPU in such
// checks (docs/performance.md, "Replay: CPU per event on the decision path").

import SentinelModel
import SentinelState

// MARK: - AggregatePlan

/// What the per-event path needs of one aggregate, in plain values: reading it does not copy
/// the spec's strings and types.
struct AggregatePlan {
  /// The aggregate's kind.
  let kind: AggregateKind
  /// Whether any rule reads the aggregate.
  let isRead: Bool
  /// Whether its values are kept by key form (`distinct`, `seen`).
  let keysValues: Bool
  /// The slot of each of its variables (`AggregateSpec.variables`, at most three), -1 for a
  /// variable no rule reads or that it lacks.
  let slot0: Int
  let slot1: Int
  let slot2: Int
  /// The state program result whose `false` means no rule that reads the aggregate can match the
  /// event (`Bundle.aggregateDemands`), or -1: read for every event.
  let demand: Int

  /// Whether the event's value needs its key form (`ValueKey.encode`): to record it (the event
  /// matches) and, for a `seen` read for this event (`isRead`), to look it up; a `distinct` the
  /// event does not match needs none (`StateCache.read`).
  @inline(__always)
  func needsValueKey(matches: Bool, isRead: Bool) -> Bool {
    keysValues && (matches || (kind == .seen && isRead))
  }

  init(_ spec: AggregateSpec, slots: [Int?], isRead: Bool, demand: Int = -1) {
    kind = spec.kind
    self.isRead = isRead
    self.demand = demand
    keysValues = spec.kind == .distinct || spec.kind == .seen
    slot0 = slots.count > 0 ? slots[0] ?? -1 : -1
    slot1 = slots.count > 1 ? slots[1] ?? -1 : -1
    slot2 = slots.count > 2 ? slots[2] ?? -1 : -1
  }

  /// Writes a reading to the slots of the variables the rules read.
  @inline(__always)
  func fill(_ slots: inout [Value?], with reading: AggregateReading) {
    if slot0 >= 0 { slots.overwrite(slot0, with: reading[0]) }
    if slot1 >= 0 { slots.overwrite(slot1, with: reading[1]) }
    if slot2 >= 0 { slots.overwrite(slot2, with: reading[2]) }
  }

  /// Writes a `seen` aggregate's reading (`AggregateState.readAndApplySeen`) to its slot.
  @inline(__always)
  func fill(_ slots: inout [Value?], seen: Bool) {
    if slot0 >= 0 { slots.overwrite(slot0, with: .bool(seen)) }
  }

  /// Writes an unbounded `stats` aggregate's reading (`AggregateState.statsInPlace`) to its slots:
  /// the count, and the mean and deviation only when the count is not 0 (absent otherwise, as
  /// `Welford.reading`).
  @inline(__always)
  func fill(_ slots: inout [Value?], stats r: (count: Int64, mean: Double, deviation: Double)) {
    if slot0 >= 0 { slots.overwrite(slot0, with: .int(r.count)) }
    if slot1 >= 0 { slots.overwrite(slot1, with: r.count > 0 ? .double(r.mean) : nil) }
    if slot2 >= 0 { slots.overwrite(slot2, with: r.count > 0 ? .double(r.deviation) : nil) }
  }

  /// Writes a `count` (or `distinct`) aggregate's reading (`AggregateState.countInPlace`,
  /// `distinctInPlace`) to its slot.
  @inline(__always)
  func fill(_ slots: inout [Value?], count n: Int64) {
    if slot0 >= 0 { slots.overwrite(slot0, with: .int(n)) }
  }

  /// Writes `state`'s reading for the current event (`current`: the event's contribution, `probe`
  /// the value `seen` looks up, `valueKey` their key form) to the slots of the variables the rules
  /// read, in place (nothing changes). NOTE: through the kind's integer or in-place reader when it
  /// has one (`countInPlace`, `distinctInPlace`, `lastInPlace`, `statsInPlace`), not an
  /// `AggregateReading` of three `Value?` made, copied and destroyed per reading
  /// (docs/performance.md, "s17-agg: the aggregates on the deciding thread (session 17, issue 4)");
  /// the state and the spec in place (`inout`): passed by value they were copied for the call
  /// (retaining the state's storage, the spec's name and type) on every reading.
  @inline(__always)
  func fillReading(
    of state: inout AggregateState, _ spec: inout AggregateSpec, at t: Timestamp, current: Value?,
    probe: Value?, valueKey: String?, into slots: inout [Value?]
  ) {
    switch kind {
    case .count:
      fill(&slots, count: state.countInPlace(&spec, at: t, current: current != nil))
      return
    case .distinct:
      if let n = state.distinctInPlace(&spec, at: t, current: current, currentKey: valueKey) {
        fill(&slots, count: n)
        return
      }
    case .last:
      if state.lastInPlace(&spec, at: t, current: current, into: &slots, slot0, slot1) { return }
    case .stats:
      if let r = state.statsInPlace(&spec, at: t, current: current) {
        fill(&slots, stats: r)
        return
      }
    default: break
    }
    fill(
      &slots,
      with: state.readInPlace(
        &spec, at: t, current: current, probe: probe, currentKey: valueKey, probeKey: valueKey))
  }

  /// Clears the slots of the variables the rules read (the aggregate has no key, or is not read
  /// for this event). NOTE: a slot already clear is not written (an aggregate not read is
  /// cleared for most events; the write cost the array's uniqueness check and a release: 1.1 % of
  /// the deciding thread's instructions, docs/performance.md, "s20: aggregates read on demand").
  func clear(_ slots: inout [Value?]) {
    if slot0 >= 0, case .some = slots[slot0] { slots[slot0] = nil }
    if slot1 >= 0, case .some = slots[slot1] { slots[slot1] = nil }
    if slot2 >= 0, case .some = slots[slot2] { slots[slot2] = nil }
  }
}

// MARK: - One event

/// One update an event makes: record `value` (key form `valueKey`) in aggregate `aggregate`'s
/// state of entry `entry`.
struct PendingUpdate {
  var entry: Int
  var aggregate: Int
  var value: Value
  var valueKey: String?
}

extension StateCache {
  /// Reads every aggregate for the current event (after `beginEvent`): `results` are the state
  /// program's (key `3i`, filter `3i+1`, value `3i+2`), the readings go to the slots of the
  /// variables the rules read, and the updates the event makes are kept for `applyUpdates`.
  /// States not cached are loaded first: from `store`, unless `complete` (the cache was loaded
  /// with everything the store has) and nothing was evicted since, when a missing state is new.
  /// With `onDemand`, an aggregate whose demand (`AggregatePlan.demand`) is `false` is not read:
  /// no rule that reads it can match the event (RuleCompiler+Demand.swift); its slots are
  /// cleared, and its state is still updated when the event matches its filter.
  /// With `keyIDs`, `results[3n + i]` (n aggregates) is the id a `LinePreparer` gave the text of
  /// aggregate `i`'s key when it is a string (`.int`), and entries are found by it
  /// (`entryOfKeyID`).
  mutating func read(
    _ results: [Value], plans: [AggregatePlan], at time: Timestamp,
    into slots: inout [Value?], store: any StateStore, complete: Bool, keyIDs: Bool = false,
    onDemand: Bool = true
  ) throws {
    updateCount = 0
    // NOTE: when nothing in this event can reach the store — every state missing from the cache
    // is new (`complete`, nothing evicted) and no entry made for it can evict one (a new entry
    // per aggregate at most) — nothing after the first update can fail, and each update is
    // applied right after its state's reading, not collected for `applyUpdates`: no
    // `PendingUpdate` (a `Value` and a key form retained and released), the slot still in the
    // cache. An aggregate's update changes its own state only, which no other reading of the
    // event reads; the readings are the same.
    let applyNow = complete && evictions == 0 && liveCount &+ plans.count < capacity
    // Most aggregates share a key (the user): its entry is looked up once per event.
    var lastText: String?
    // With `keyIDs`: the key id of `lastText`.
    var lastID = -1
    // The entry of `lastText`; -1 when it has none (nothing cached for that key).
    var lastEntry = -1
    for i in plans.indices {
      let plan = plans[i]
      // Whether a rule can read the aggregate for this event (its demand is not `false`).
      var isRead = plan.isRead
      if isRead && onDemand && plan.demand >= 0, case .bool(false) = results[plan.demand] {
        isRead = false
        plan.clear(&slots)
      }
      // Whether the key is a string. Its text is taken out of `results` only where it is used
      // (binding it here retained and released it for every aggregate of every event).
      var isText = false
      var entry = -1
      switch results[3 * i] {
      case .string: isText = true
      case let keyValue:
        guard !keyValue.isError, let form = ValueKey.encode(keyValue) else {
          plan.clear(&slots)
          continue
        }
        entry = self.entry(forForm: form)
      }
      let matches: Bool
      if case .bool(true) = results[3 * i + 1] { matches = true } else { matches = false }
      // The current event's contribution (`count` records none), the value `seen` looks up, and
      // their key form.
      var current: Value?
      var probe: Value?
      var valueKey: String?
      if plan.kind == .count {
        // NOTE: a `count` uses nothing of the value but whether it is an error: it is tested in
        // place, not copied (an outlined copy and three destroys per aggregate, for four of the
        // reference rules' eight; docs/performance.md, "s18-agg: the deciding thread (session 18,
        // issue 4)").
        if matches, !results[3 * i + 2].isError { current = .null }
      } else {
        let value = results[3 * i + 2]
        var valueOK = !value.isError
        if valueOK && plan.needsValueKey(matches: matches, isRead: isRead) {
          valueKey = ValueKey.encode(value)
          valueOK = valueKey != nil
        }
        if valueOK {
          // Only a `seen` reading looks the value up (a copy of a `last` map for nothing, else).
          if plan.kind == .seen { probe = value }
          if matches { current = value }
        }
      }
      guard isRead || current != nil else { continue }
      if isText {
        var id = -1
        if keyIDs, case .int(let n) = results[3 &* plans.count &+ i] { id = Int(truncatingIfNeeded: n) }
        if id >= 0 {
          if id != lastID {
            lastID = id
            if let e = linkedEntry(forKeyID: id) {
              lastEntry = e
            } else if case .string(let s) = results[3 * i] {
              lastEntry = existingEntry(forKeyID: id, text: s) ?? -1
            }
          }
        } else if case .string(let s) = results[3 * i], lastText != s {
          lastText = s
          lastEntry = existingEntry(forText: s) ?? -1
        }
        if lastEntry < 0, case .string(let s) = results[3 * i] {
          // NOTE: a key with nothing cached, when the store has nothing either, reads as an
          // empty state: it needs an entry only once the event records something. Most ips
          // of the reference corpus are only ever read (a filter on failed logins), and an
          // entry each was ~4 % of the deciding thread (its slots for every aggregate, growing
          // the cache's arrays; docs/performance.md, "session 12").
          if current == nil && complete && evictions == 0 {
            if isRead {
              // NOTE: an empty state's reading without an `AggregateReading` where the kind has
              // an in-place reader: most ips are read here only, and new keys' first events
              // (docs/performance.md, "s17-agg: the aggregates on the deciding thread (session
              // 17, issue 4)").
              var empty = AggregateState(kind: plan.kind)
              plan.fillReading(
                of: &empty, &readSpecs[i], at: time, current: nil, probe: probe, valueKey: valueKey,
                into: &slots)
            }
            continue
          }
          lastEntry = newEntry(forText: s, keyID: id)
        }
        entry = lastEntry
      }
      // Updates load their state before the decision so that `apply` never waits on the store.
      let k = slot(entry, i)
      if !stateSlots[k].isLoaded {
        var stored: AggregateState?
        // Checked per load: allocating an entry for this very event may have evicted one.
        if !complete || evictions > 0 {
          try writeEvicted(to: store)
          stored = try store.loadState(StateKey(aggregate: readSpecs[i].name, key: form(of: entry)))
        }
        // A key the store lacks is cached as empty, so that it is asked for once.
        stateSlots[k].load(stored ?? AggregateState(kind: plan.kind))
      }
      if applyNow && plan.kind == .seen && current != nil, let key = valueKey,
        let seen = stateSlots[k].readAndApplySeen(&readSpecs[i], at: time, key: key)
      {
        // Read and recorded with one set probe (the reading and the update hashed the key each).
        // NOTE: also when the reading is not wanted (its demand is false): the set's own probe is
        // cheaper than `apply`'s general path (docs/performance.md, "s20: aggregates read on
        // demand").
        if isRead { plan.fill(&slots, seen: seen) }
        markDirty(entry, i)
        continue
      }
      if isRead {
        stateSlots[k].fillReading(
          plan, &readSpecs[i], at: time, current: current, probe: probe, valueKey: valueKey, into: &slots)
      }
      if let current {
        if applyNow {
          stateSlots[k].apply(&readSpecs[i], at: time, value: current, valueKey: valueKey)
          markDirty(entry, i)
          continue
        }
        let u = PendingUpdate(entry: entry, aggregate: i, value: current, valueKey: valueKey)
        // The buffer keeps its values until overwritten: no removal per event.
        if updateCount < updates.count { updates[updateCount] = u } else { updates.append(u) }
        updateCount += 1
      }
    }
  }

  /// Records the current event in every state whose filter it matched (`read`), in place, and
  /// marks those slots dirty.
  mutating func applyUpdates(at time: Timestamp) {
    for n in 0..<updateCount {
      let e = updates[n].entry
      let a = updates[n].aggregate
      stateSlots[slot(e, a)].apply(
        &readSpecs[a], at: time, value: updates[n].value, valueKey: updates[n].valueKey)
      markDirty(e, a)
    }
    updateCount = 0
  }
}
