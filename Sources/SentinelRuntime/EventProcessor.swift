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
import Synchronization

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

  /// The output line, or nil for a blank input line. A decision made without its line
  /// (`EventProcessor.rendersLines` off: the line is empty) renders it here.
  public var line: String? {
    switch self {
    case .decided(let d, let l): return l.isEmpty ? d.jsonLine : l
    case .duplicate(_, let l), .rejected(_, let l): return l
    case .blank: return nil
    }
  }
}

/// A line decoded ahead of its processing (`EventProcessor.prepare`).
public enum PreparedLine: Sendable {
  /// An event, decoded into its slot buffer.
  case event(eventID: String)
  /// An event, decoded into its slot buffer by a preparer that tracks event ids
  /// (`EventProcessor.makePreparer(stateAhead:tracksEventIDs:)`), with what it knows of the id.
  case trackedEvent(eventID: String, hint: EventIDHint)
  /// A rejected line and its error line.
  case rejected(EventError, line: String)
  /// A blank line.
  case blank
}

/// What a preparer that tracks event ids (`LinePreparer`) knows of an event's id: its fingerprint
/// (`EventProcessor.fingerprint`), and whether neither an earlier line it prepared nor the ids
/// the processor knew when the preparer was made have that fingerprint — the id is then new, and
/// the processor looks it up nowhere.
public struct EventIDHint: Sendable {
  let fingerprint: UInt32
  let firstSeen: Bool
  /// The tracking it belongs to (`EventProcessor.idTracking`).
  let tracking: Int
}

/// Decides a stream of events with one bundle and one state store.
///
/// Not thread-safe: one processor serves one stream (one thread or actor at a time).
public final class EventProcessor {
  /// The number of keys (user ids, ips…) whose states a processor keeps by default.
  public static let defaultCacheCapacity = 1_000_000

  /// The bundle events are decided with.
  public let bundle: LoadedBundle
  /// Where state, decisions and processed event ids are kept.
  public let store: any StateStore
  let engine: DecisionEngine
  let decoder: EventDecoder
  let vm = VM()
  // NOTE: the properties the per-event path reads and changes are `@exclusivity(unchecked)`: each
  // access to a class's stored property was checked at run time (`swift_beginAccess` and
  // `swift_endAccess`, ~50 samples, ~3.5 % of replay's deciding thread; docs/performance.md, "the
  // work split anew between the two threads"). The processor is used by one thread at a time, and
  // none of its methods reaches a property while changing the same one (no callback into the
  // processor).
  /// The register files of the state and rule programs, kept between events (a run then
  /// allocates none).
  @exclusivity(unchecked) var stateRegisters = VM.Registers()
  @exclusivity(unchecked) var ruleRegisters = VM.Registers()
  let timeSlot: Int?
  /// The slots decoding leaves alone (`EventDecoder.unmappedSlots`).
  let unmappedSlots: [Int]
  /// `unmappedSlots` split: the slots of the aggregate variables the rules read, which
  /// `StateCache.read` writes whenever it runs, and the others (run-time lists).
  let readingSlots: [Int]
  let keptSlots: [Int]
  /// Whether the state program reads only the event's fields (no run-time list), so that it may
  /// run ahead, on the thread that decodes (`LinePreparer`, EventProcessor+Prepare.swift).
  public let runsStateAhead: Bool
  /// The bundle's aggregates.
  let specs: [AggregateSpec]
  /// For each aggregate: what the per-event path needs of it (`AggregatePlan`).
  let plans: [AggregatePlan]
  /// Whether every aggregate the rules read is read for every event, whatever its demand
  /// (`Bundle.aggregateDemands`; by default an aggregate is read only for the events some rule
  /// that reads it can match): for
  /// what shows or evaluates every rule's readings (`sentinel explain`, the selectivity profiler).
  /// Decisions are the same either way (RuleCompiler+Demand.swift).
  @exclusivity(unchecked) public var readsEveryAggregate = false
  @exclusivity(unchecked) var slots: [Value?]
  @exclusivity(unchecked) var stateResults: [Value] = []
  @exclusivity(unchecked) var ruleResults: [Value] = []
  /// The states loaded or changed since start, by key value; the store is the truth for the
  /// rest (`StateCache`).
  @exclusivity(unchecked) var cache: StateCache
  /// The aggregate index of each aggregate name.
  let aggregateIndex: [String: Int]
  /// Decisions made since the last commit, in order.
  @exclusivity(unchecked) var pendingRecords: [DecisionRecord] = []
  /// Whether a decision's line is made when it is decided (the default). Off (`sentinel replay`
  /// in memory): `.decided`'s line is empty — the caller writes it from the decision
  /// (`DecisionLine.append`, or `ProcessedLine.line`) — and its record renders it only when asked
  /// (a duplicate): no string per decision (docs/performance.md, "s17: the decision line written
  /// once").
  @exclusivity(unchecked) public var rendersLines = true
  /// The fingerprint (`fingerprint(_:)`) of each pending decision's event id, in the same order:
  /// a duplicate within a batch is found by scanning these, not by a dictionary of the pending
  /// ids — built for a whole batch as soon as one duplicate came, that hashed ~1 id per event
  /// (docs/performance.md, "session 12").
  @exclusivity(unchecked) var pendingFingerprints: [UInt32] = []
  /// The pending decisions by event id, for duplicates within a batch larger than
  /// `pendingScanLimit`; built lazily (only `pendingRecords[..<pendingIndexed]` are in it).
  var pendingIndex: [String: Int] = [:]
  var pendingIndexed = 0
  /// Up to this many pending decisions, a duplicate is looked for by a scan of their
  /// fingerprints; beyond, through `pendingIndex` (a scan per duplicate would grow with the batch).
  /// Without an id index (`knownIDs`) every event is looked for: always through `pendingIndex`.
  static let pendingScanLimit = 8192
  /// The batch taken by `takeCommit` whose commit has not been settled yet.
  @exclusivity(unchecked) var inFlight: InFlightCommit?
  /// The fingerprint of every event id the store holds or this processor decided, when the
  /// store can list them (`EventIDIndex`): a new event then costs one set insertion and no store
  /// lookup. Fingerprints, not the ids: 4 bytes an id instead of the string (a daemon keeps one
  /// per decision it ever made). An id whose fingerprint is known is looked up exactly (pending
  /// decisions, then the store); when neither has it — another id with the same fingerprint — it
  /// is new. Loaded on first use; nil until then or without an index.
  // NOTE: 32 bits, not the 64 of `hashValue`: half the memory (a `Set<Int>` of 60,000 ids is
  // 1 MiB, docs/performance.md, "The commit thread's Swift work"); with n ids known,
  // a new id needs the exact lookup with probability n / 2³², one event in 4,300 at a million.
  // A `FingerprintSet`, not a `Set<UInt32>`: the fingerprints are hashes already
  // (FingerprintSet.swift).
  @exclusivity(unchecked) var knownIDs: FingerprintSet?
  @exclusivity(unchecked) var knownIDsLoaded = false
  /// The tracking of the last preparer made with `tracksEventIDs` while it holds (0: none):
  /// every event since it was made came from that preparer, in the order it prepared them, so
  /// its `firstSeen` hints are exact. Meanwhile `knownIDs` is not kept up to date (the
  /// preparer's set is); `endIDTracking` makes it again when another line comes.
  @exclusivity(unchecked) var idTracking = 0
  /// The tracking numbers given so far, over all processors (a hint from another processor's
  /// preparer never matches).
  static let trackings = Atomic<Int>(0)
  /// The tracking of the last preparer made with `tracksEventIDs`, whose key ids the cache uses
  /// (`StateCache.entryOfKeyID`); unlike `idTracking` it holds after other lines (0: none).
  @exclusivity(unchecked) var keySpace = 0
  /// The last batch whose commit succeeded (its decisions are in the store): a duplicate is
  /// looked for there before the store is asked (most come a few lines after their original).
  @exclusivity(unchecked) var committed: (records: [DecisionRecord], fingerprints: [UInt32]) = ([], [])
  /// Whether the cache was loaded with every state the store has: while nothing is evicted, a
  /// state missing from it is new and needs no lookup.
  @exclusivity(unchecked) var cacheIsComplete = false
  /// The bundle's run-time lists by name: their slots (nil for a slot no program reads; the
  /// event decoder never writes either) and their current value.
  let listSlots: [String: (list: Int?, set: Int?)]
  /// The current value of each run-time list of the bundle, by name.
  public private(set) var runtimeLists: [String: RuntimeListValue] = [:]

  /// A processor for `bundle` keeping its state in `store`, with a cache of the states of at
  /// most about `cacheCapacity` keys (clean states beyond it are evicted and read back from the
  /// store when needed; states changed since the last commit always stay).
  ///
  /// Run-time lists start with `lists[name]` when given (already of the list's element type:
  /// `RuntimeListValue.values`), else with the bundle's default.
  ///
  /// `writeBack`: a commit writes the decisions only, and a state reaches the store when the
  /// cache evicts it or by `writeBackStates()` — for a store that is not durable and that
  /// nothing else reads meanwhile (`replay` in memory: copying every changed state into the
  /// store at each commit was ~17 % of its deciding thread; docs/performance.md, "session 14").
  /// Decisions are the same either way; only what the store holds between two write-backs
  /// differs.
  public init(
    bundle: LoadedBundle, store: any StateStore, cacheCapacity: Int = EventProcessor.defaultCacheCapacity,
    lists: [String: RuntimeListValue] = [:], writeBack: Bool = false
  ) {
    self.bundle = bundle
    self.store = store
    let b = bundle.bundle
    engine = DecisionEngine(program: bundle.program, rules: b.rules, policy: b.policy)
    let names = b.program.variables.map(\.name)
    decoder = EventDecoder(schema: b.schema, slotOrder: names)
    slots = decoder.makeSlots()
    unmappedSlots = decoder.unmappedSlots
    runsStateAhead = Self.stateRunsAhead(bundle.stateProgram, unmappedSlots: decoder.unmappedSlots)
    var index: [String: Int] = [:]
    for (i, n) in names.enumerated() { index[n] = i }
    timeSlot = index[b.schema.variable + ".ts"]
    specs = b.aggregates
    let read = Set(b.ruleReads.joined())
    let built = b.aggregates.enumerated().map { i, a in
      AggregatePlan(
        a, slots: a.variables.map { index[$0.name] }, isRead: read.contains(i),
        demand: i < b.aggregateDemands.count ? b.aggregateDemands[i] : -1)
    }
    plans = built
    cache = StateCache(specs: b.aggregates, capacity: cacheCapacity, writesBack: writeBack)
    let written = Set(built.filter(\.isRead).flatMap { [$0.slot0, $0.slot1, $0.slot2] })
    readingSlots = decoder.unmappedSlots.filter { written.contains($0) }
    keptSlots = decoder.unmappedSlots.filter { !written.contains($0) }
    var byName: [String: Int] = [:]
    for (i, a) in b.aggregates.enumerated() { byName[a.name] = i }
    aggregateIndex = byName
    var lslots: [String: (list: Int?, set: Int?)] = [:]
    for l in b.runtimeLists { lslots[l.name] = (index[l.listSlot], index[l.setSlot]) }
    listSlots = lslots
    for l in b.runtimeLists {
      let given = lists[l.name].flatMap { $0.elementType == l.elementType ? $0 : nil }
      _ = setRuntimeList(l.name, given ?? RuntimeListValue(default: l))
    }
  }

  /// Makes `value` the contents of the run-time list `name` for every later event. Returns
  /// false (and changes nothing) when the bundle has no such list or its element type differs.
  /// Call it between two events (the processor is not shared): no decision sees half a change.
  @discardableResult
  public func setRuntimeList(_ name: String, _ value: RuntimeListValue) -> Bool {
    guard let slots = listSlots[name],
      bundle.bundle.runtimeLists.contains(where: { $0.name == name && $0.elementType == value.elementType })
    else { return false }
    if let s = slots.list { self.slots[s] = value.list }
    if let s = slots.set { self.slots[s] = value.set }
    runtimeLists[name] = value
    return true
  }

  /// The values the last decided event's rules read, by qualified name: its event fields and
  /// the aggregate readings (absent names are left out). For explanations (`sentinel test`).
  public var lastBindings: [String: Value] {
    var out: [String: Value] = [:]
    for (v, s) in zip(bundle.bundle.program.variables, slots) { if let s { out[v.name] = s } }
    return out
  }

  /// The number of decisions not yet committed, nor in a commit in flight.
  public var pendingCount: Int { pendingRecords.count }

  /// The decisions made since the last `takeCommit`, in order (what the next one will hold):
  /// their audit-chain links may be computed ahead (`SQLiteStateStore.prelink`).
  public var pendingDecisions: [DecisionRecord] { pendingRecords }

  /// The number of keys whose states are cached, and how many were evicted so far.
  public var cacheStatistics: (keys: Int, evictions: Int) { (cache.liveCount, cache.evictions) }

  /// Processes one input line (one JSON event). Throws only when the store fails.
  public func process(_ line: Substring) throws -> ProcessedLine {
    var text = line
    return try text.withUTF8 { try process(bytes: $0) }
  }

  /// Processes one input line given as UTF-8 bytes (without its line break).
  public func process(bytes line: UnsafeBufferPointer<UInt8>) throws -> ProcessedLine {
    switch Self.prepare(line, decoder: decoder, into: &slots) {
    case .event(let eventID), .trackedEvent(let eventID, _): return try decide(eventID, stateReady: false)
    case .rejected(let error, let errorLine): return .rejected(error, line: errorLine)
    case .blank: return .blank
    }
  }

  /// The decoder `process(bytes:)` uses. Immutable and `Sendable`: another thread may decode
  /// lines ahead with it (`prepare`) for `process(prepared:slots:)`.
  public var eventDecoder: EventDecoder { decoder }

  /// The first step of `process(bytes:)`, which needs nothing of the processor: a blank line, a
  /// rejected one (with its error line), or an event decoded into `slots` (a buffer from
  /// `eventDecoder.makeSlots()`; only the slots of the event schema's fields are written).
  /// Another thread may run it ahead of `process(prepared:slots:)`.
  public static func prepare(
    _ line: UnsafeBufferPointer<UInt8>, decoder: EventDecoder, into slots: inout [Value?]
  )
    -> PreparedLine
  {
    prepare(line) { () throws(EventError) in try decoder.decode(line, into: &slots) }
  }

  /// `prepare(_:decoder:into:)` with the event decoded by `decode` (its id returned): blank, the
  /// event, or rejected with its error line. One classification for every decoding path
  /// (`LinePreparer` decodes with its learnt key order).
  @inline(__always)
  static func prepare(_ line: UnsafeBufferPointer<UInt8>, decoding decode: () throws(EventError) -> String)
    -> PreparedLine
  {
    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return .blank }
    do {
      return .event(eventID: try decode())
    } catch {
      return .rejected(error, line: errorLine(error))
    }
  }

  /// Processes a line `prepare` decoded (on any thread) into `slots`: the same result, state
  /// changes and pending decision as `process(bytes:)` on that line. The slot buffers are
  /// swapped, not copied: on return `slots` holds the processor's previous buffer, ready to be
  /// decoded into again.
  public func process(prepared: PreparedLine, slots decoded: inout [Value?]) throws -> ProcessedLine {
    switch prepared {
    case .event(let eventID), .trackedEvent(let eventID, _):
      guard decoded.count == slots.count else {
        preconditionFailure("process(prepared:slots:): a slot buffer not made by eventDecoder.makeSlots()")
      }
      swap(&slots, &decoded)
      // The slots decoding never writes (run-time lists, aggregate readings) keep their values.
      for k in unmappedSlots { slots[k] = decoded[k] }
      return try decide(eventID, stateReady: false)
    case .rejected(let error, let errorLine): return .rejected(error, line: errorLine)
    case .blank: return .blank
    }
  }

  /// Steps 2 to 5 for an event decoded into `slots`; `stateReady`: `stateResults` already hold
  /// the state program's results for it (`LinePreparer`).
  func decide(_ eventID: String, stateReady: Bool) throws -> ProcessedLine {
    try endIDTracking()
    let fingerprint = Self.fingerprint(eventID)
    if let original = try originalLine(forEventID: eventID, fingerprint: fingerprint) {
      return .duplicate(eventID: eventID, line: original)
    }
    return try decideNew(eventID, fingerprint: fingerprint, stateReady: stateReady)
  }

  /// Steps 3 to 5 for a new event (not a duplicate) decoded into `slots`; `fingerprint` is
  /// `fingerprint(eventID)`.
  func decideNew(_ eventID: String, fingerprint: UInt32, stateReady: Bool, keyIDs: Bool = false) throws
    -> ProcessedLine
  {
    let time: Timestamp?
    if let t = timeSlot, case .timestamp(let ts)? = slots[t] { time = ts } else { time = nil }
    cache.beginEvent()
    if let state = bundle.stateProgram, let time {
      try readAggregates(state, at: time, ready: stateReady, keyIDs: keyIDs)
    }
    _ = vm.run(bundle.program, variables: slots, results: &ruleResults, registers: &ruleRegisters)
    let decision = engine.combine(eventID: eventID, results: ruleResults)
    if let time {
      // In place in the cache (no copy of the state's storage).
      cache.applyUpdates(at: time)
    }
    // NOTE: the record is made in the `append` call, not in a variable appended after: that copied
    // it into the array once more (an outlined copy, retaining its strings and rules) and destroyed
    // the variable — ~3.5 % of the deciding thread's samples in an in-memory replay, ~1.5 % now
    // (docs/performance.md, "s18-agg: the deciding thread (session 18, issue 4)").
    pendingFingerprints.append(fingerprint)
    // Without `rendersLines` the line stays empty: the record renders it when asked.
    let line = rendersLines ? decision.jsonLine : ""
    pendingRecords.append(
      DecisionRecord(
        eventID: eventID, line: rendersLines ? line : nil, action: decision.action.rawValue,
        score: decision.score, rules: decision.ruleIDs, eventTime: time ?? Timestamp(seconds: 0),
        bundleDigest: bundle.digest))
    return .decided(decision, line: line)
  }

  /// Processes one input line given as a string.
  public func process(_ line: String) throws -> ProcessedLine { try process(line[...]) }

  /// Makes every decision since the last commit durable, with the state changes they caused,
  /// in one store transaction.
  public func commit() throws {
    guard let batch = takeCommit() else { return }
    do {
      try store.commit(batch)
    } catch {
      commitFailed()
      throw error
    }
    commitSucceeded()
  }

  /// Whether a batch taken with `takeCommit` has not been settled yet.
  public var hasCommitInFlight: Bool { inFlight != nil }

  /// The batch of every decision since the last commit and the state changes they caused, for a
  /// commit that runs elsewhere (another thread) while this processor goes on deciding; nil when
  /// there is nothing to commit. Until `commitSucceeded()` or `commitFailed()` — call exactly one
  /// once the store's `commit` of the batch returned — its decisions still count as made (a
  /// duplicate of one of them gets its line) and its states stay cached. One batch at a time.
  public func takeCommit() -> StateBatch? {
    precondition(inFlight == nil, "a commit is already in flight")
    guard !pendingRecords.isEmpty || !cache.dirty.isEmpty else { return nil }
    var states: [(StateKey, AggregateState)] = []
    // With write-back the states stay in the cache (`writeBackStates`).
    if !cache.writesBack {
      states.reserveCapacity(cache.dirty.count)
      for (e, i) in cache.dirty {
        // The state read in place: `.state` (an optional made from a copy of the slot) retained
        // and released the state's storage once more per dirty slot.
        let k = cache.slot(e, i)
        if cache.stateSlots[k].isLoaded {
          states.append(
            (StateKey(aggregate: specs[i].name, key: cache.form(of: e)), cache.stateSlots[k].stored))
        }
      }
    }
    let batch = StateBatch(states: states, decisions: pendingRecords)
    inFlight = InFlightCommit(
      records: pendingRecords, fingerprints: pendingFingerprints, slots: cache.takeDirty())
    pendingRecords.removeAll(keepingCapacity: true)
    pendingFingerprints.removeAll(keepingCapacity: true)
    pendingIndex.removeAll(keepingCapacity: true)
    pendingIndexed = 0
    return batch
  }

  /// With `writeBack`: commits what is pending, then writes every state the cache changed to the
  /// store, which then holds what it would without write-back. No commit may be in flight.
  public func writeBackStates() throws {
    precondition(inFlight == nil, "writeBackStates() with a commit in flight")
    try commit()
    guard cache.writesBack else { return }
    try cache.writeEvicted(to: store)
    var states: [(StateKey, AggregateState)] = []
    for e in cache.entries.indices where cache.entries[e].live {
      for i in specs.indices where cache.stateSlots[cache.slot(e, i)].changed {
        states.append(
          (
            StateKey(aggregate: specs[i].name, key: cache.form(of: e)),
            cache.stateSlots[cache.slot(e, i)].stored
          ))
      }
    }
    try store.commit(StateBatch(states: states))
  }

  /// The store committed the batch of `takeCommit`: it is durable.
  public func commitSucceeded() {
    guard let taken = inFlight else { return }
    inFlight = nil
    cache.release(taken.slots)
    committed = (taken.records, taken.fingerprints)
  }

  /// The store's commit of the batch of `takeCommit` failed: its decisions are pending again,
  /// before those made since, and its states are dirty again — the next commit retries them.
  public func commitFailed() {
    guard let taken = inFlight else { return }
    inFlight = nil
    cache.restore(taken.slots)
    pendingRecords.insert(contentsOf: taken.records, at: 0)
    pendingFingerprints.insert(contentsOf: taken.fingerprints, at: 0)
    pendingIndex.removeAll(keepingCapacity: true)
    pendingIndexed = 0
  }

  /// The decision line already made for an event id (pending or committed), or nil for a new
  /// event — which, with an id index, is recorded as known from now on. `fingerprint` is
  /// `fingerprint(id)`.
  func originalLine(forEventID id: String, fingerprint: UInt32) throws -> String? {
    if !knownIDsLoaded { try loadIndex() }
    if knownIDs != nil, knownIDs?.insert(fingerprint) == true { return nil }
    let scan = knownIDs != nil
    if let l = pendingLine(forEventID: id, fingerprint: fingerprint, scan: scan) { return l }
    return try storedLine(forEventID: id, fingerprint: fingerprint, scan: scan)
  }

  /// `originalLine` for an event whose id a preparer tracking ids saw before (`EventIDHint`):
  /// the exact lookups only (its `firstSeen` hint stands for the `knownIDs` test).
  func trackedOriginalLine(forEventID id: String, fingerprint: UInt32) throws -> String? {
    if let l = pendingLine(forEventID: id, fingerprint: fingerprint, scan: true) { return l }
    return try storedLine(forEventID: id, fingerprint: fingerprint, scan: true)
  }

  /// The line of a committed decision for `id`: from the last committed batch when `scan`,
  /// else (or when not there) from the store.
  func storedLine(forEventID id: String, fingerprint: UInt32, scan: Bool) throws -> String? {
    if scan && committed.records.count <= Self.pendingScanLimit,
      let l = InFlightCommit.scan(
        committed.fingerprints, committed.records, for: id, fingerprint: fingerprint)
    {
      return l
    }
    return try store.decisionLine(forEventID: id)
  }

  /// Ends the tracking of event ids by a preparer (`idTracking`), before a line that did not come
  /// from it: `knownIDs` is made again from the store's ids and those of the decisions not yet
  /// committed.
  func endIDTracking() throws {
    guard idTracking != 0 else { return }
    idTracking = 0
    guard let index = store as? any EventIDIndex else { return }
    let ids = try index.allEventIDs()
    var set = FingerprintSet(minimumCapacity: ids.count + pendingFingerprints.count)
    for id in ids { set.insert(Self.fingerprint(id)) }
    for f in pendingFingerprints { set.insert(f) }
    for f in inFlight?.fingerprints ?? [] { set.insert(f) }
    knownIDs = set
  }

  /// The 32-bit fingerprint `knownIDs` keeps of an event id (its seeded `ByteHash.stringHash`,
  /// truncated; equal ids have equal fingerprints; in this process's memory only).
  static func fingerprint(_ id: String) -> UInt32 { UInt32(truncatingIfNeeded: ByteHash.stringHash(id)) }

  /// The line of a decision made since the last commit (or in the commit in flight), or nil.
  /// `fingerprint` is `fingerprint(id)`; `scan`: only duplicates and fingerprint collisions come
  /// here (an id index, or a preparer tracking ids).
  func pendingLine(forEventID id: String, fingerprint: UInt32, scan: Bool) -> String? {
    // With an id index only duplicates and fingerprint collisions come here: a scan is cheaper
    // than an index of the batch; without one every event does, and the index pays.
    if inFlight != nil, let line = inFlight?.line(forEventID: id, fingerprint: fingerprint, scan: scan) {
      return line
    }
    if scan && pendingRecords.count <= Self.pendingScanLimit {
      return InFlightCommit.scan(pendingFingerprints, pendingRecords, for: id, fingerprint: fingerprint)
    }
    while pendingIndexed < pendingRecords.count {
      pendingIndex[pendingRecords[pendingIndexed].eventID] = pendingIndexed
      pendingIndexed += 1
    }
    return pendingIndex[id].map { pendingRecords[$0].line }
  }

  /// Loads the store's event ids and (when they fit the cache) its states, once.
  func loadIndex() throws {
    knownIDsLoaded = true
    guard let index = store as? any EventIDIndex else { return }
    let ids = try index.allEventIDs()
    var hashes = FingerprintSet(minimumCapacity: ids.count)
    for id in ids { hashes.insert(Self.fingerprint(id)) }
    knownIDs = hashes
    let states = try index.allStates()
    guard states.count <= cache.capacity else { return }
    for (key, state) in states {
      // States of aggregates this bundle does not declare stay in the store, untouched.
      guard let i = aggregateIndex[key.aggregate] else { continue }
      let e = cache.entry(forForm: key.key)
      cache.stateSlots[cache.slot(e, i)].load(state)
    }
    cacheIsComplete = true
  }

  /// Runs the state program (unless `ready`: its results are in `stateResults` already), fills
  /// the slots of the aggregate variables the rules read, and collects the updates the event
  /// makes (`StateCache.read`).
  func readAggregates(_ state: VerifiedProgram, at time: Timestamp, ready: Bool, keyIDs: Bool = false) throws
  {
    if !ready { _ = vm.run(state, variables: slots, results: &stateResults, registers: &stateRegisters) }
    try cache.read(
      stateResults, plans: plans, at: time, into: &slots, store: store, complete: cacheIsComplete,
      keyIDs: keyIDs, onDemand: !readsEveryAggregate)
  }

  /// The error line of a rejected event (REFERENCE_RULES.md).
  static func errorLine(_ e: EventError) -> String {
    if let id = e.eventID {
      return "{\"event_id\":\(JSONWriter.quote(id)),\"error\":\(JSONWriter.quote(e.message))}"
    }
    return "{\"error\":\(JSONWriter.quote(e.message))}"
  }
}

/// A batch handed to a commit that has not returned yet (`EventProcessor.takeCommit`).
struct InFlightCommit {
  /// Its decisions, in order.
  let records: [DecisionRecord]
  /// The fingerprints of their event ids (`EventProcessor.fingerprint`), in the same order.
  let fingerprints: [UInt32]
  /// Its state slots (cache entry, aggregate).
  let slots: [(entry: Int, aggregate: Int)]
  /// Its decisions by event id, built on the first lookup in a batch larger than
  /// `EventProcessor.pendingScanLimit` (a duplicate is rare).
  private var index: [String: Int]?

  init(records: [DecisionRecord], fingerprints: [UInt32], slots: [(entry: Int, aggregate: Int)]) {
    self.records = records
    self.fingerprints = fingerprints
    self.slots = slots
  }

  /// The line of the decision for `id` (whose fingerprint is `fingerprint`) among `records`,
  /// whose fingerprints are `fingerprints`, or nil.
  static func scan(_ fingerprints: [UInt32], _ records: [DecisionRecord], for id: String, fingerprint: UInt32)
    -> String?
  {
    for i in fingerprints.indices where fingerprints[i] == fingerprint && records[i].eventID == id {
      return records[i].line
    }
    return nil
  }

  /// The line of its decision for `id` (whose fingerprint is `fingerprint`), or nil; `scan`:
  /// by a scan of the fingerprints when there are at most `EventProcessor.pendingScanLimit`.
  mutating func line(forEventID id: String, fingerprint: UInt32, scan: Bool) -> String? {
    if scan && records.count <= EventProcessor.pendingScanLimit {
      return Self.scan(fingerprints, records, for: id, fingerprint: fingerprint)
    }
    if index == nil {
      var built: [String: Int] = [:]
      built.reserveCapacity(records.count)
      for (i, r) in records.enumerated() { built[r.eventID] = i }
      index = built
    }
    return index?[id].map { records[$0].line }
  }
}
