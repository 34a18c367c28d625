// The processor keeps 32-bit fingerprints of known event ids, not the ids
// (`EventProcessor.knownIDs`). An id whose fingerprint is known but which no decision has —
// another id with the same fingerprint — must be decided as new, and a real duplicate must
// still get its original line, before and after a commit and after reopening the store.

import SentinelCompiler
import SentinelFixtures
import SentinelModel
import SentinelState
import SentinelTestSupport
import Testing

@testable import SentinelRuntime

@Suite struct EventIDIndexTests {
  /// `FingerprintSet` against `Set<UInt32>` on the same inserts: random fingerprints, repeats,
  /// 0, and values that share their low bits (long probe runs), through several growths.
  @Test func fingerprintSetAgreesWithASet() {
    var rng = SystemRandomNumberGenerator()
    var ours = FingerprintSet()
    var theirs = Set<UInt32>()
    var pool: [UInt32] = [0, 1, 0xFFFF_FFFF]
    // Values equal in their low 16 bits land on the same place until the table is large.
    pool += (1..<200).map { UInt32($0) << 16 | 0x1234 }
    pool += (0..<5_000).map { _ in UInt32.random(in: .min ... .max, using: &rng) }
    for round in 0..<3 {
      for f in pool.shuffled(using: &rng) {
        #expect(ours.insert(f) == theirs.insert(f).inserted, "round \(round): \(f)")
      }
    }
    #expect(ours.count == theirs.count)
    for f in pool { #expect(ours.contains(f)) }
    for _ in 0..<1_000 {
      let f = UInt32.random(in: .min ... .max, using: &rng)
      #expect(ours.contains(f) == theirs.contains(f))
    }
  }

  /// `FingerprintSet.insert(_:inserted:)` (a group at once) against inserts one by one: the same
  /// answers and the same set, with repeats within a group, 0, colliding low bits and growth.
  @Test func groupInsertsAgreeWithSingleInserts() {
    var rng = SystemRandomNumberGenerator()
    var pool: [UInt32] = [0, 1, 0xFFFF_FFFF, 0]
    pool += (1..<200).map { UInt32($0) << 16 | 0x1234 }
    pool += (0..<5_000).map { _ in UInt32.random(in: .min ... .max, using: &rng) }
    pool += pool.prefix(700)
    pool.shuffle(using: &rng)
    var one = FingerprintSet()
    var group = FingerprintSet()
    var start = 0
    for size in [1, 64, 3, 0, 257, 64, 1_000, 64] + Array(repeating: 64, count: 100) where start < pool.count
    {
      let fs = Array(pool[start..<min(pool.count, start + size)])
      start += fs.count
      let want = fs.map { one.insert($0) }
      var got = [Bool](repeating: false, count: fs.count + 2)
      fs.withUnsafeBufferPointer { f in got.withUnsafeMutableBufferPointer { group.insert(f, inserted: $0) } }
      #expect(Array(got.prefix(fs.count)) == want, "group of \(fs.count) from \(start - fs.count)")
      #expect(group.count == one.count)
    }
    #expect(start == pool.count)
    for f in pool { #expect(group.contains(f)) }
    for _ in 0..<1_000 {
      let f = UInt32.random(in: .min ... .max, using: &rng)
      #expect(group.contains(f) == one.contains(f))
    }
  }

  /// Whether two preparers gave a line the same outcome: the same id, fingerprint and
  /// first-seen hint, or the same error line, or both blank. Their tracking numbers differ (one
  /// per preparer); the rest must not.
  static func sameOutcome(_ a: PreparedLine, _ b: PreparedLine) -> Bool {
    switch (a, b) {
    case (.trackedEvent(let i, let h), .trackedEvent(let j, let g)):
      return i == j && h.fingerprint == g.fingerprint && h.firstSeen == g.firstSeen
    case (.event, _), (.trackedEvent, _): return false
    case (.rejected(_, let x), .rejected(_, let y)): return x == y
    case (.blank, .blank): return true
    case (.rejected, _), (.blank, _): return false
    }
  }

  /// The reference corpus with its first 300 lines again (duplicates), and two processors of
  /// the reference rules over stores that took the corpus's first 1,000 decisions.
  static func corpusAndTwoSeededProcessors() throws -> (lines: [String], a: EventProcessor, b: EventProcessor)
  {
    let bundle = try BoundedCacheTests.referenceBundle()
    var lines = try Repo.read(Repo.corpus + "/events.jsonl").split(separator: "\n").map(String.init)
    lines += lines[..<300]
    func processor() throws -> EventProcessor {
      let store = InMemoryStateStore(writerChecksEventIDs: true)
      let seed = EventProcessor(bundle: bundle, store: store)
      for l in lines[..<1000] { _ = try seed.process(l) }
      try seed.commit()
      return EventProcessor(bundle: bundle, store: store)
    }
    return (lines, try processor(), try processor())
  }

  /// A preparer that settles the ids of many lines at once (`prepare(…settlingIDs:)`,
  /// `settleIDs`, as `replay`'s decoding thread does) gives each line the hint, state results
  /// and key ids the preparer that tests each id at once gives: the reference corpus, its first
  /// 300 lines again (duplicates), after the store took its first 1,000 decisions.
  @Test(arguments: [1, 7, 64])
  func settledIDsAreThoseOfSingleLines(group: Int) throws {
    let (lines, a, b) = try Self.corpusAndTwoSeededProcessors()
    var single = try a.makePreparer(tracksEventIDs: true)
    var grouped = try b.makePreparer(tracksEventIDs: true)
    var slots = a.eventDecoder.makeSlots()
    var results: [Value] = []
    var want: [(PreparedLine, [Value])] = []
    for var line in lines {
      let p = line.withUTF8 { single.prepare($0, into: &slots, stateResults: &results) }
      want.append((p, results))
    }
    var got: [PreparedLine] = []
    var gotResults: [[Value]] = []
    var start = 0
    while start < lines.count {
      var batch = [PreparedLine]()
      for k in start..<min(lines.count, start + group) {
        var line = lines[k]
        batch.append(
          line.withUTF8 { grouped.prepare($0, into: &slots, stateResults: &results, settlingIDs: k - start) })
        gotResults.append(results)
      }
      grouped.settleIDs(&batch)
      got += batch
      start += group
    }
    var firstSeen = 0
    var mismatches = 0
    for (k, (p, r)) in want.enumerated() {
      if case .trackedEvent(_, let h) = p, h.firstSeen { firstSeen += 1 }
      if !Self.sameOutcome(p, got[k]) || String(describing: r) != String(describing: gotResults[k]) {
        mismatches += 1
        if mismatches <= 3 { Issue.record("line \(k + 1): \(lines[k])") }
      }
    }
    #expect(mismatches == 0)
    #expect(firstSeen > lines.count / 2, "first seen: \(firstSeen) of \(lines.count)")
  }

  /// Lines decoded a group at a time and the state program run on each afterwards, in order
  /// (`LinePreparer.decode`, then `runState`: `DecodeAhead`'s batches), with ids settled per
  /// group, give each line what `prepare` gives line by line: outcome, id hint, state results
  /// and key ids. The slot and result buffers are reused from group to group, as the
  /// batches' are.
  @Test(arguments: [1, 7, 64])
  func decodedThenRunLinesAreThoseOfPrepare(group: Int) throws {
    let (lines, a, b) = try Self.corpusAndTwoSeededProcessors()
    var single = try a.makePreparer(tracksEventIDs: true)
    var split = try b.makePreparer(tracksEventIDs: true)
    var slots = a.eventDecoder.makeSlots()
    var results: [Value] = []
    var want: [PreparedLine] = []
    var wantResults: [[Value]] = []
    var groupSlots = (0..<group).map { _ in b.eventDecoder.makeSlots() }
    var groupResults = [[Value]](repeating: [], count: group)
    var got: [PreparedLine] = []
    var gotResults: [[Value]] = []
    var start = 0
    while start < lines.count {
      let end = min(lines.count, start + group)
      var one = [PreparedLine]()
      var two = [PreparedLine]()
      for k in start..<end {
        var line = lines[k]
        one.append(
          line.withUTF8 { single.prepare($0, into: &slots, stateResults: &results, settlingIDs: k - start) })
        wantResults.append(results)
        two.append(line.withUTF8 { split.decode($0, into: &groupSlots[k - start], settlingIDs: k - start) })
      }
      for j in 0..<(end - start) {
        split.runState(isEvent: two[j].isEvent, slots: groupSlots[j], stateResults: &groupResults[j])
        gotResults.append(groupResults[j])
      }
      single.settleIDs(&one)
      split.settleIDs(&two)
      want += one
      got += two
      start = end
    }
    var mismatches = 0
    var withKeyIDs = 0
    for k in want.indices {
      if !Self.sameOutcome(want[k], got[k])
        || String(describing: wantResults[k]) != String(describing: gotResults[k])
      {
        mismatches += 1
        if mismatches <= 3 { Issue.record("line \(k + 1): \(lines[k])") }
      }
      if !wantResults[k].isEmpty { withKeyIDs += 1 }
    }
    #expect(mismatches == 0)
    #expect(withKeyIDs > lines.count / 2, "lines with state results: \(withKeyIDs) of \(lines.count)")
  }

  @Test func aKnownHashWithoutADecisionIsANewEvent() throws {
    let bundle = try BoundedCacheTests.referenceBundle()
    let lines = try Repo.read(Repo.corpus + "/events.jsonl").split(separator: "\n")
    // Two events the reference rules decide (some corpus lines are rejected).
    let scratch = EventProcessor(bundle: bundle, store: InMemoryStateStore())
    var decided: [(line: Substring, decision: Decision)] = []
    for line in lines where decided.count < 2 {
      if case .decided(let d, _) = try scratch.process(line) { decided.append((line, d)) }
    }
    try #require(decided.count == 2)
    let (firstEvent, first) = decided[0]
    let (secondEvent, second) = decided[1]
    let db = try Repo.temporaryFolder() + "/state.db"
    let processor = EventProcessor(bundle: bundle, store: try SQLiteStateStore(path: db))
    // Decide the first event, so the index is loaded; then plant the fingerprint of the second one's
    // id, as a colliding id would.
    guard case .decided(_, let firstLine) = try processor.process(firstEvent) else {
      Issue.record("the first event is not decided")
      return
    }
    processor.knownIDs?.insert(EventProcessor.fingerprint(second.eventID))
    guard case .decided(let again, _) = try processor.process(secondEvent) else {
      Issue.record("an id whose fingerprint is known but which has no decision must be decided")
      return
    }
    #expect(again.eventID == second.eventID)
    // A real duplicate, pending and then committed, gets its original line.
    guard case .duplicate(_, let pending) = try processor.process(firstEvent) else {
      Issue.record("a pending duplicate must get its original line")
      return
    }
    #expect(pending == firstLine)
    try processor.commit()
    guard case .duplicate(_, let committed) = try processor.process(firstEvent) else {
      Issue.record("a committed duplicate must get its original line")
      return
    }
    #expect(committed == firstLine)
    // A new processor on the same store (the index loaded from the database) knows both.
    let reopened = EventProcessor(bundle: bundle, store: try SQLiteStateStore(path: db))
    for line in [firstEvent, secondEvent] {
      guard case .duplicate(let id, _) = try reopened.process(line) else {
        Issue.record("a stored id must be a duplicate after reopening")
        continue
      }
      #expect([first.eventID, second.eventID].contains(id))
    }
  }

  /// Ids tracked by the preparer (`makePreparer(tracksEventIDs:)`: ids seen first are looked up
  /// nowhere) decide as `process(bytes:)` does: the reference corpus (duplicates among its lines)
  /// decided after its first 1,000 lines were committed by another processor (the preparer
  /// starts from the store's ids), lines prepared three ahead, commits every 100 lines, a line
  /// processed directly midway (the tracking ends: the ids decided under it must stay known)
  /// and a new preparer later (it numbers the keys anew: `StateCache.entryOfKeyID`); with the
  /// default cache and with one of 5 keys (entries evicted, their key ids unlinked, read back),
  /// written back as `replay` does.
  @Test(arguments: [EventProcessor.defaultCacheCapacity, 5])
  func trackedEventIDsDecideAsUntracked(capacity: Int) throws {
    let bundle = try BoundedCacheTests.referenceBundle()
    var lines = try Repo.read(Repo.corpus + "/events.jsonl").split(separator: "\n").map(String.init)
    // Twice: the second pass is all duplicates of the first's events.
    lines += lines[..<300]
    // Right after the line processed directly (2,000): events decided under the tracking again
    // (`knownIDs` must know them).
    lines.insert(contentsOf: [lines[1500], lines[1600], lines[1700]], at: 2001)
    // Untracked: the first 1,000 lines, then everything again by a second processor.
    let plainStore = InMemoryStateStore()
    let first = EventProcessor(bundle: bundle, store: plainStore)
    for l in lines[..<1000] { _ = try first.process(l) }
    try first.commit()
    let plain = EventProcessor(bundle: bundle, store: plainStore, cacheCapacity: capacity)
    var want: [String?] = []
    for (n, l) in lines.enumerated() {
      want.append(Self.outcome(try plain.process(l)))
      if n % 100 == 99 { try plain.commit() }
    }
    // Tracked, on a store that does not check ids (replay's).
    let store = InMemoryStateStore(writerChecksEventIDs: true)
    let seed = EventProcessor(bundle: bundle, store: store)
    for l in lines[..<1000] { _ = try seed.process(l) }
    try seed.commit()
    let tracked = EventProcessor(bundle: bundle, store: store, cacheCapacity: capacity, writeBack: true)
    var preparer = try tracked.makePreparer(tracksEventIDs: true)
    let depth = 3
    var slots = (0..<depth).map { _ in tracked.eventDecoder.makeSlots() }
    var results = [[Value]](repeating: [], count: depth)
    var prepared = [PreparedLine](repeating: .blank, count: depth)
    var preparedCount = 0
    var seenBefore = 0
    var withKeyIDs = 0
    var mismatches = 0
    var n = 0
    while n < lines.count {
      var got: String?
      if n == 2000 {
        // Directly: the tracking ends.
        got = Self.outcome(try tracked.process(lines[n]))
      } else {
        if n == 2500 {
          // A new preparer; the lines the old one prepared ahead are prepared again.
          preparer = try tracked.makePreparer(tracksEventIDs: true)
          preparedCount = n
        }
        while preparedCount < min(lines.count, n + depth) {
          let k = preparedCount % depth
          var line = lines[preparedCount]
          prepared[k] = line.withUTF8 { preparer.prepare($0, into: &slots[k], stateResults: &results[k]) }
          if case .trackedEvent(_, let hint) = prepared[k], !hint.firstSeen { seenBefore += 1 }
          // The results and the key ids.
          if results[k].count == 4 * bundle.bundle.aggregates.count { withKeyIDs += 1 }
          preparedCount += 1
        }
        let k = n % depth
        got = Self.outcome(
          try tracked.process(prepared: prepared[k], slots: &slots[k], stateResults: &results[k]))
      }
      if got != want[n] {
        mismatches += 1
        if mismatches <= 3 {
          Issue.record("line \(n + 1): \(lines[n])\n want \(want[n] ?? "-")\n got  \(got ?? "-")")
        }
      }
      if n % 100 == 99 { try tracked.commit() }
      n += 1
    }
    #expect(mismatches == 0)
    // Most of the first 1,000 lines (some are rejected) have ids the store had, the last 300 repeat
    // earlier ones.
    #expect(seenBefore > 1100, "ids seen before: \(seenBefore)")
    #expect(withKeyIDs > 2000, "lines with key ids: \(withKeyIDs)")
    #expect(capacity > 5 || tracked.cacheStatistics.evictions > 0)
  }

  /// A line's outcome and output line: a duplicate's line is its original's, which deciding the
  /// event again would usually give too.
  static func outcome(_ r: ProcessedLine) -> String? {
    switch r {
    case .decided(_, let l): return "decided " + l
    case .duplicate(_, let l): return "duplicate " + l
    case .rejected(_, let l): return "rejected " + l
    case .blank: return nil
    }
  }

  /// A store whose writer checks the event ids (`writerChecksEventIDs`: commits index nothing)
  /// finds every committed decision by its id, with lookups between the commits and after.
  @Test func aStoreWhoseWriterChecksIDsFindsEveryDecision() throws {
    let store = InMemoryStateStore(writerChecksEventIDs: true)
    func record(_ i: Int) -> DecisionRecord {
      DecisionRecord(
        eventID: "e\(i)", line: "line \(i)", action: "allow", score: 0, rules: [],
        eventTime: Timestamp(seconds: Int64(i)), bundleDigest: "d")
    }
    var next = 0
    for size in [1, 7, 0, 30, 2, 100] {
      try store.commit(StateBatch(decisions: (next..<(next + size)).map(record)))
      next += size
      // A lookup between commits: indexes what was committed so far.
      if size % 2 == 0 { #expect(try store.decisionLine(forEventID: "e\(next - 1)") == "line \(next - 1)") }
    }
    for i in 0..<next { #expect(try store.decisionLine(forEventID: "e\(i)") == "line \(i)") }
    #expect(try store.decisionLine(forEventID: "e\(next)") == nil)
    #expect(try store.decisionCount() == next)
    #expect(try store.allEventIDs().count == next)
  }
}
