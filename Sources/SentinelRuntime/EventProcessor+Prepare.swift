// Work done ahead of the deciding thread, on another one (`replay`'s decoding thread,
// DecodeAhead.swift): a line is decoded into its slots (`EventProcessor.prepare`) and, when the
// state program reads nothing but the event's fields, the state program runs on them too — its
// results (each aggregate's key, filter and value) then depend on that line alone, not on any
// earlier event or on the processor's state.
//
// NOTE: the state program's run was ~11 % of the deciding thread's samples in an in-memory
// replay of the scaled reference corpus, while the decoding thread idled most of the time
// (docs/performance.md, "session 12"). The key forms (`ValueKey.encode`) of the values
// `distinct` and `seen` aggregates keep were computed here too until session 19; they are the
// deciding thread's again (`StateCache.read`): the decoding thread, which now sets the rate, did
// ~7 % less work per line without them, and the deciding thread no more (paired medians of 20 and
// 24 alternating in-memory replays; docs/performance.md, "s19: the key forms on the deciding
// thread again").
//
// A state program that reads a run-time list runs on the deciding thread, as before: the list's
// value is the processor's (`setRuntimeList` between two events), which a line decoded ahead
// cannot know.

import SentinelBytecode
import SentinelModel
import SentinelState
import SentinelVM
import SentinelVerifier
import Synchronization

// MARK: - LinePreparer

/// Decodes lines, and runs the state program on them when it can run ahead, for
/// `EventProcessor.process(prepared:slots:stateResults:)`. Made by `EventProcessor.makePreparer()`;
/// one per thread (it keeps the state program's register file).
public struct LinePreparer: Sendable {
  let decoder: EventDecoder
  /// The state program when it runs ahead, else nil.
  let stateProgram: VerifiedProgram?
  /// The number of aggregates (`EventProcessor.plans`): one key id each.
  let aggregateCount: Int
  let timeSlot: Int?
  let vm = VM()
  var registers = VM.Registers()
  /// With `tracksEventIDs` (`EventProcessor.makePreparer(stateAhead:tracksEventIDs:)`): the
  /// fingerprint of every event id the processor knew when the preparer was made and of every
  /// event this preparer decoded since, and the processor's tracking number.
  var seenIDs: FingerprintSet?
  var tracking = 0
  /// With `tracksEventIDs`: the id of each string key's text, in order of first appearance
  /// (`StateCache.read`, `keyIDs`: the deciding thread finds its entry by it, with no hashing).
  var keyIDs = KeyNumbering()
  /// The order the keys of the lines decoded so far came in (`EventDecoder.decode(_:into:order:)`).
  var keyOrder = KeyOrder(next: [])
  /// With `tracksEventIDs`, the lines prepared with `settlingIDs` since the last `settleIDs`:
  /// their index and their id's fingerprint, in order.
  var waitingLines: [Int] = []
  var waitingIDs: [UInt32] = []
  var settled: [Bool] = []

  /// `EventProcessor.prepare(_:decoder:into:)`; for an event with a time, when the state program
  /// runs ahead, its results go to `stateResults` (any buffer; it is emptied otherwise), followed,
  /// when the preparer tracks ids, by each aggregate's key id (`StateCache.read`, `keyIDs`).
  ///
  /// With `settlingIDs` (the line's index among those the caller keeps), a line whose id is
  /// tracked is first tagged as not seen for the first time (an exact lookup: never a wrong
  /// answer), and `settleIDs` tags those seen for the first time later, for many lines at once.
  public mutating func prepare(
    _ line: UnsafeBufferPointer<UInt8>, into slots: inout [Value?], stateResults: inout [Value],
    settlingIDs index: Int? = nil
  ) -> PreparedLine {
    let prepared = decode(line, into: &slots, settlingIDs: index)
    runState(isEvent: prepared.isEvent, slots: slots, stateResults: &stateResults)
    return prepared
  }

  /// `prepare`'s first half: the line decoded into `slots` and, tracking ids, its id's
  /// fingerprint. `runState` does the second half; for lines decoded one after the other
  /// (`DecodeAhead`: a batch at a time), each line's second half in the same order, after its first
  /// and before the next `settleIDs`, gives what `prepare` gives line by line.
  public mutating func decode(
    _ line: UnsafeBufferPointer<UInt8>, into slots: inout [Value?], settlingIDs index: Int? = nil
  ) -> PreparedLine {
    var prepared = prepareLine(line, into: &slots)
    // The duplicate test's first half, off the deciding thread: the id's fingerprint, and whether
    // it was seen before (then only the processor can tell whether it is a duplicate).
    if case .event(let id) = prepared, seenIDs != nil {
      let f = EventProcessor.fingerprint(id)
      let first: Bool
      if let index {
        waitingLines.append(index)
        waitingIDs.append(f)
        first = false
      } else {
        first = seenIDs?.insert(f) == true
      }
      prepared = .trackedEvent(
        eventID: id, hint: EventIDHint(fingerprint: f, firstSeen: first, tracking: tracking))
    }
    return prepared
  }

  /// `EventProcessor.prepare(_:decoder:into:)` with this preparer's key order
  /// (`EventDecoder.decode(_:into:order:)`).
  mutating func prepareLine(_ line: UnsafeBufferPointer<UInt8>, into slots: inout [Value?]) -> PreparedLine {
    EventProcessor.prepare(line) { () throws(EventError) in
      try decoder.decode(line, into: &slots, order: &keyOrder)
    }
  }

  /// `prepare`'s second half for a line `decode` prepared into `slots`: for an event with a
  /// time, when the state program runs ahead, its results and (tracking ids) key ids go to
  /// `stateResults` (emptied otherwise). `isEvent`: the line's `PreparedLine.isEvent` (the
  /// outcome itself is not passed: its event id would be retained and released per line).
  public mutating func runState(isEvent: Bool, slots: [Value?], stateResults: inout [Value]) {
    // The processor's condition for running the state program (`decide`): a state program and
    // an event time.
    if isEvent, let state = stateProgram, let t = timeSlot, case .timestamp? = slots[t] {
      // The program's results, then (tracking ids) a key id per aggregate, written in place: the
      // buffer comes back from the deciding thread with the same size (removing the ids one by
      // one and appending them again was ~7 % of this thread's samples; docs/performance.md,
      // "s16-dec").
      let count = state.program.ruleCount
      let n = aggregateCount
      let full = count &+ (tracking != 0 ? n : 0)
      // One element at a time: `removeSubrange` took ~7 % of this thread (generic, unspecialized).
      while stateResults.count > full { stateResults.removeLast() }
      while stateResults.count < full { stateResults.append(.null) }
      _ = vm.run(state, variables: slots, resultsPrefix: &stateResults, registers: &registers)
      guard tracking != 0 else { return }
      stateResults.withUnsafeMutableBufferPointer { r in
        // Each string key's id (`StateCache.read`, `keyIDs`).
        var lastKey: String?
        var lastID = -1
        for i in 0..<n {
          guard case .string(let key) = r[3 &* i] else {
            r[count &+ i] = .null
            continue
          }
          if key != lastKey {
            lastKey = key
            lastID = keyIDs.number(key)
          }
          r[count &+ i] = .int(Int64(lastID))
        }
      }
    } else {
      stateResults.removeAll(keepingCapacity: true)
    }
  }

  /// Tags the lines prepared with `settlingIDs` since the last call whose id it sees for the
  /// first time (`prepared[index]`): the answers `prepare` without `settlingIDs` gives, line by
  /// line in the same order (`FingerprintSet.insert(_:inserted:)`).
  public mutating func settleIDs(_ prepared: inout [PreparedLine]) {
    guard !waitingIDs.isEmpty else { return }
    if settled.count < waitingIDs.count { settled = Array(repeating: false, count: waitingIDs.count) }
    waitingIDs.withUnsafeBufferPointer { fs in
      settled.withUnsafeMutableBufferPointer { seenIDs?.insert(fs, inserted: $0) }
    }
    for k in waitingIDs.indices where settled[k] {
      let i = waitingLines[k]
      guard i < prepared.count, case .trackedEvent(let id, let h) = prepared[i],
        h.fingerprint == waitingIDs[k]
      else {
        continue
      }
      prepared[i] = .trackedEvent(
        eventID: id, hint: EventIDHint(fingerprint: h.fingerprint, firstSeen: true, tracking: h.tracking))
    }
    waitingLines.removeAll(keepingCapacity: true)
    waitingIDs.removeAll(keepingCapacity: true)
  }
}

extension EventProcessor {
  /// Whether the state program reads no slot that decoding leaves alone (a run-time list), so
  /// that it can run ahead of the processor (`LinePreparer`).
  static func stateRunsAhead(_ state: VerifiedProgram?, unmappedSlots: [Int]) -> Bool {
    guard let state else { return false }
    let unmapped = Set(unmappedSlots)
    // The code as verified and as run (fused), each variable operand by the opcode table.
    for code in [state.program.code, state.code] {
      for ins in code {
        for (o, kind) in ins.opcode.info.operands.enumerated() where kind == .variable {
          if unmapped.contains(Int(ins.operand(o))) { return false }
        }
      }
    }
    return true
  }

  /// A preparer for this processor's lines (to be used on one other thread); `stateAhead`:
  /// it runs the state program when it can (else it only decodes).
  public func makePreparer(stateAhead: Bool = true) -> LinePreparer {
    var preparer = LinePreparer(
      decoder: decoder, stateProgram: stateAhead && runsStateAhead ? bundle.stateProgram : nil,
      aggregateCount: plans.count, timeSlot: timeSlot)
    preparer.keyOrder = decoder.makeKeyOrder()
    return preparer
  }

  /// `makePreparer(stateAhead:)`, and with `tracksEventIDs` the preparer also takes the first half
  /// of the duplicate test off this thread: it keeps the fingerprints of the event ids the
  /// processor knows now and of every event it decodes, and tells which ids it sees for the
  /// first time — those the processor then looks up nowhere (`EventIDHint`). That holds while
  /// every event the processor decides comes from this preparer, in the order it prepared them;
  /// another line ends it (`endIDTracking`), and so does a later preparer made with
  /// `tracksEventIDs`. Without an index of the store's ids (`EventIDIndex`) the preparer
  /// tracks nothing.
  public func makePreparer(stateAhead: Bool = true, tracksEventIDs: Bool) throws -> LinePreparer {
    var preparer = makePreparer(stateAhead: stateAhead)
    guard tracksEventIDs else { return preparer }
    if !knownIDsLoaded { try loadIndex() }
    // The ids decided under an earlier tracking first.
    try endIDTracking()
    guard let known = knownIDs else { return preparer }
    idTracking = Self.trackings.add(1, ordering: .relaxed).newValue
    preparer.seenIDs = known
    preparer.tracking = idTracking
    // The preparer numbers the keys anew.
    keySpace = idTracking
    cache.unlinkKeyIDs()
    return preparer
  }

  /// `process(prepared:slots:)` for a line a `LinePreparer` of this processor prepared into
  /// `slots` and `stateResults`: the same result, state changes and pending decision as
  /// `process(bytes:)` on that line. Both buffers are swapped, not copied: on return they hold
  /// the processor's previous ones, ready to be prepared into again.
  public func process(
    prepared: PreparedLine, slots decoded: inout [Value?], stateResults ahead: inout [Value]
  )
    throws -> ProcessedLine
  {
    let eventID: String
    var hint: EventIDHint?
    switch prepared {
    case .event(let id): eventID = id
    case .trackedEvent(let id, let h):
      eventID = id
      hint = h
    case .rejected, .blank: return try process(prepared: prepared, slots: &decoded)
    }
    guard decoded.count == slots.count else {
      preconditionFailure("process(prepared:slots:): a slot buffer not made by eventDecoder.makeSlots()")
    }
    // A duplicate first: it needs none of the line's slots, and leaves the processor's as they
    // are (nothing swapped, nothing copied).
    let fingerprint: UInt32
    if let hint, idTracking != 0, hint.tracking == idTracking {
      // NOTE: an id first seen is new: no `knownIDs` probe here (a cache miss per event, ~4 % of
      // replay's deciding thread; docs/performance.md, "the work split anew between the two threads").
      fingerprint = hint.fingerprint
      if !hint.firstSeen,
        let original = try trackedOriginalLine(forEventID: eventID, fingerprint: fingerprint)
      {
        return .duplicate(eventID: eventID, line: original)
      }
    } else {
      try endIDTracking()
      fingerprint = Self.fingerprint(eventID)
      if let original = try originalLine(forEventID: eventID, fingerprint: fingerprint) {
        return .duplicate(eventID: eventID, line: original)
      }
    }
    swap(&slots, &decoded)
    // The slots decoding never writes keep their values: the run-time lists, and the readings
    // of the aggregates the rules read — but those only when `StateCache.read` does not run
    // for this event (it writes every one of them): no state program or no event time. Copying
    // the readings for every event was ~3 % of the deciding thread (docs/performance.md,
    // "session 12").
    for k in keptSlots { slots[k] = decoded[k] }
    var readsState = false
    if bundle.stateProgram != nil, let t = timeSlot, case .timestamp? = slots[t] { readsState = true }
    if !readsState { for k in readingSlots { slots[k] = decoded[k] } }
    // The preparer ran the state program for this line when it left a full set of results (and,
    // when it tracks ids, key ids: usable while its numbering is the cache's).
    let full = bundle.stateProgram?.program.ruleCount ?? 0
    let withKeyIDs = ahead.count == full + plans.count
    let ready = runsStateAhead && !ahead.isEmpty && (ahead.count == full || withKeyIDs)
    let keyIDs = ready && withKeyIDs && keySpace != 0 && hint?.tracking == keySpace
    if ready { swap(&stateResults, &ahead) }
    return try decideNew(eventID, fingerprint: fingerprint, stateReady: ready, keyIDs: keyIDs)
  }
}

extension PreparedLine {
  /// Whether the line is an event (decoded into its slots).
  public var isEvent: Bool {
    switch self {
    case .event, .trackedEvent: return true
    case .rejected, .blank: return false
    }
  }
}
