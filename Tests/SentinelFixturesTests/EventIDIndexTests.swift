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
}
