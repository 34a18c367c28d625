// The stateful decision path for one stream of events (one tenant): JSON line → decision,
// with aggregates read from and written to a `StateStore`. Per event, in order:
//
//   1. decode       validation first: a rejected event changes nothing, its id is not remembered
//   2. duplicate    an event id already decided gets its original decision line, unchanged
//   3. state        the state program computes each aggregate's key, filter and value; the
//                   aggregates the rules read are read from their state at the event's time
//   4. decide       the rule program runs on the event's slots and the aggregate readings
//   5. update       every aggregate whose filter matched records the event (whatever the decision)
//
// Updates stay in memory until `commit()`, which writes the changed states, the decisions and
// their event ids in one store transaction (group commit). Callers must not report a decision
// before the commit that holds it has returned: `process` hands back lines, `commit` makes them
// durable.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelState
import SentinelVM
import SentinelVerifier

/// What processing one input line gave.
public enum ProcessedLine: Sendable {
  /// A decision for a new event.
  case decided(Decision, line: String)
  /// An event id already decided: its original decision line.
  case duplicate(eventID: String, line: String)
  /// A rejected line: the error line (`{"event_id":…,"error":…}` or `{"error":…}`).
  case rejected(EventError, line: String)
  /// A blank line: no output.
  case blank

  /// The output line, or nil for a blank input line.
  public var line: String? {
    switch self {
    case .decided(_, let l), .duplicate(_, let l), .rejected(_, let l): return l
    case .blank: return nil
    }
  }
}

/// Decides a stream of events with one bundle and one state store.
///
/// Not thread-safe: one processor serves one stream (one thread or actor at a time).
public final class EventProcessor {
  /// The bundle events are decided with.
  public let bundle: LoadedBundle
  /// Where state, decisions and processed event ids are kept.
  public let store: any StateStore
  let engine: DecisionEngine
  let decoder: EventDecoder
  let vm = VM()
  let timeSlot: Int?
  /// For each aggregate: the slot of each variable of `AggregateSpec.variables` (nil when no
  /// rule reads it), and whether any rule reads the aggregate at all.
  let readSlots: [[Int?]]
  let isRead: [Bool]
  var slots: [Value?]
  var stateResults: [Value] = []
  var ruleResults: [Value] = []
  /// Per aggregate (bundle order): the states loaded or changed since start, by key form
  /// (`ValueKey`); the store is the truth for the rest. Per-aggregate tables hash only the key.
  var caches: [[String: AggregateState]]
  var dirty: [Set<String>]
  /// The aggregate index of each aggregate name.
  let aggregateIndex: [String: Int]
  /// Decisions made since the last commit, by event id.
  var pendingLines: [String: String] = [:]
  var pendingRecords: [DecisionRecord] = []
  /// Every event id the store holds, when the store can list them (`EventIDIndex`): a new event
  /// then costs no store lookup. Loaded on first use; nil until then or without an index.
  var knownIDs: Set<String>?
  var knownIDsLoaded = false
  /// Whether `cache` holds every state the store has (loaded at once from an `EventIDIndex`
  /// store), so that a key missing from it is new and needs no lookup.
  var cacheIsComplete = false
  var updates: [(aggregate: Int, key: String, value: Value)] = []

  /// A processor for `bundle` keeping its state in `store`.
  public init(bundle: LoadedBundle, store: any StateStore) {
    self.bundle = bundle
    self.store = store
    let b = bundle.bundle
    engine = DecisionEngine(program: bundle.program, rules: b.rules, policy: b.policy)
    let names = b.program.variables.map(\.name)
    decoder = EventDecoder(schema: b.schema, slotOrder: names)
    slots = decoder.makeSlots()
    var index: [String: Int] = [:]
    for (i, n) in names.enumerated() { index[n] = i }
    timeSlot = index[b.schema.variable + ".ts"]
    readSlots = b.aggregates.map { a in a.variables.map { index[$0.name] } }
    let read = Set(b.ruleReads.joined())
    isRead = b.aggregates.indices.map { read.contains($0) }
    caches = Array(repeating: [:], count: b.aggregates.count)
    dirty = Array(repeating: [], count: b.aggregates.count)
    var byName: [String: Int] = [:]
    for (i, a) in b.aggregates.enumerated() { byName[a.name] = i }
    aggregateIndex = byName
  }

  /// The values the last decided event's rules read, by qualified name: its event fields and
  /// the aggregate readings (absent names are left out). For explanations (`sentinel test`).
  public var lastBindings: [String: Value] {
    var out: [String: Value] = [:]
    for (v, s) in zip(bundle.bundle.program.variables, slots) { if let s { out[v.name] = s } }
    return out
  }

  /// The number of decisions not yet committed.
  public var pendingCount: Int { pendingRecords.count }

  /// Processes one input line (one JSON event). Throws only when the store fails.
  public func process(_ line: Substring) throws -> ProcessedLine {
    var text = line
    return try text.withUTF8 { try process(bytes: $0) }
  }

  /// Processes one input line given as UTF-8 bytes (without its line break).
  public func process(bytes line: UnsafeBufferPointer<UInt8>) throws -> ProcessedLine {
    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return .blank }
    let eventID: String
    do {
      eventID = try decoder.decode(line, into: &slots)
    } catch {
      return .rejected(error, line: Self.errorLine(error))
    }
    if let original = try decisionLine(forEventID: eventID) {
      return .duplicate(eventID: eventID, line: original)
    }
    let time: Timestamp?
    if let t = timeSlot, case .timestamp(let ts)? = slots[t] { time = ts } else { time = nil }
    updates.removeAll(keepingCapacity: true)
    if let state = bundle.stateProgram, let time {
      try readAggregates(state, at: time)
    }
    _ = vm.run(bundle.program, variables: slots, results: &ruleResults)
    let decision = engine.combine(eventID: eventID, results: ruleResults)
    if let time {
      let specs = bundle.bundle.aggregates
      for (i, key, value) in updates {
        // In place through the dictionary (no copy of the state's storage).
        caches[i][key, default: AggregateState(kind: specs[i].kind)].apply(specs[i], at: time, value: value)
        dirty[i].insert(key)
      }
    }
    let line = decision.jsonLine
    pendingLines[eventID] = line
    pendingRecords.append(
      DecisionRecord(
        eventID: eventID, line: line, action: decision.action.rawValue, score: decision.score,
        rules: decision.ruleIDs, eventTime: time ?? Timestamp(seconds: 0), bundleDigest: bundle.digest))
    return .decided(decision, line: line)
  }

  /// Processes one input line given as a string.
  public func process(_ line: String) throws -> ProcessedLine { try process(line[...]) }

  /// Makes every decision since the last commit durable, with the state changes they caused,
  /// in one store transaction.
  public func commit() throws {
    guard !pendingRecords.isEmpty || dirty.contains(where: { !$0.isEmpty }) else { return }
    var states: [(StateKey, AggregateState)] = []
    for (i, keys) in dirty.enumerated() {
      let name = bundle.bundle.aggregates[i].name
      for k in keys { if let s = caches[i][k] { states.append((StateKey(aggregate: name, key: k), s)) } }
    }
    try store.commit(StateBatch(states: states, decisions: pendingRecords))
    if knownIDs != nil { for r in pendingRecords { knownIDs?.insert(r.eventID) } }
    for i in dirty.indices { dirty[i].removeAll(keepingCapacity: true) }
    pendingRecords.removeAll(keepingCapacity: true)
    pendingLines.removeAll(keepingCapacity: true)
  }

  /// The decision line already made for an event id (pending or committed), or nil.
  func decisionLine(forEventID id: String) throws -> String? {
    if let l = pendingLines[id] { return l }
    if !knownIDsLoaded {
      knownIDsLoaded = true
      if let index = store as? any EventIDIndex {
        knownIDs = try index.allEventIDs()
        for (key, state) in try index.allStates() {
          // States of aggregates this bundle does not declare stay in the store, untouched.
          if let i = aggregateIndex[key.aggregate] { caches[i][key.key] = state }
        }
        cacheIsComplete = true
      }
    }
    if let knownIDs, !knownIDs.contains(id) { return nil }
    return try store.decisionLine(forEventID: id)
  }

  /// Runs the state program, fills the slots of the aggregate variables the rules read, and
  /// collects the updates the event makes.
  func readAggregates(_ state: VerifiedProgram, at time: Timestamp) throws {
    _ = vm.run(state, variables: slots, results: &stateResults)
    // Most aggregates share a key (the user): its key form is computed once per event.
    var lastKeyText: String?
    var lastKey = ""
    for (i, spec) in bundle.bundle.aggregates.enumerated() {
      let keyValue = stateResults[3 * i]
      let value = stateResults[3 * i + 2]
      let matches: Bool
      if case .bool(true) = stateResults[3 * i + 1] { matches = true } else { matches = false }
      let key: String
      if case .string(let s) = keyValue, s == lastKeyText {
        key = lastKey
      } else if !keyValue.isError, let k = ValueKey.encode(keyValue) {
        key = k
        if case .string(let s) = keyValue {
          lastKeyText = s
          lastKey = k
        }
      } else {
        for case let s? in readSlots[i] { slots[s] = nil }
        continue
      }
      var valueOK = !value.isError
      if valueOK && (spec.kind == .distinct || spec.kind == .seen) { valueOK = ValueKey.encode(value) != nil }
      let current: Value? = matches && valueOK ? (spec.kind == .count ? .null : value) : nil
      if isRead[i] {
        let probe: Value? = spec.kind != .count && valueOK ? value : nil
        try loadState(i, key)
        let readings =
          caches[i][key]?.read(spec, at: time, current: current, probe: probe)
          ?? AggregateState(kind: spec.kind).read(spec, at: time, current: current, probe: probe)
        for (k, slot) in readSlots[i].enumerated() {
          guard let slot else { continue }
          slots[slot] = k < readings.count ? readings[k] : nil
        }
      }
      if let current {
        // Updates load their state before the decision so that `apply` never waits on the store.
        if !isRead[i] { try loadState(i, key) }
        updates.append((i, key, current))
      }
    }
  }

  /// Brings aggregate `i`'s state for `key` into the cache (from the store, unless the cache
  /// already holds everything the store has).
  func loadState(_ i: Int, _ key: String) throws {
    guard caches[i][key] == nil, !cacheIsComplete else { return }
    let spec = bundle.bundle.aggregates[i]
    // A key the store lacks is cached as empty, so that it is asked for once.
    caches[i][key] =
      try store.loadState(StateKey(aggregate: spec.name, key: key)) ?? AggregateState(kind: spec.kind)
  }

  /// The error line of a rejected event (REFERENCE_RULES.md).
  static func errorLine(_ e: EventError) -> String {
    if let id = e.eventID {
      return "{\"event_id\":\(JSONWriter.quote(id)),\"error\":\(JSONWriter.quote(e.message))}"
    }
    return "{\"error\":\(JSONWriter.quote(e.message))}"
  }
}
