// The in-memory and SQLite stores behave identically on a random workload: same states, same
// decision lines, same log, same errors (duplicate event ids reject whole batches in both).

import SentinelModel
import SentinelState
import Testing

@Suite struct StateStoreDifferentialTests {
  @Test func inMemoryAndSQLiteAgree() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let memory = InMemoryStateStore(tenant: "t")
    var sqlite = try SQLiteStateStore(path: path, tenant: "t")
    var rng = SplitMix64(seed: 99)
    let keys = (0..<12).map { StateKey(aggregate: ["a", "b"][$0 % 2], key: "s2:k\($0)") }
    var nextID = 0
    for round in 0..<300 {
      // A batch: a few state updates (load → apply → write, as the runtime does) and decisions,
      // sometimes with an id already used.
      var batch = StateBatch()
      for _ in 0..<Int(rng.next() % 4) {
        let k = keys[Int(rng.next() % UInt64(keys.count))]
        let spec = AggregateSpec(name: k.aggregate, kind: .sum, windowNanos: 5 * secondNanos, valueType: .int)
        var s = try memory.loadState(k) ?? AggregateState(kind: .sum)
        s.apply(spec, at: at(Int64(round)), value: .int(Int64(rng.next() % 100)))
        batch.states.append((k, s))
      }
      for _ in 0..<Int(rng.next() % 4) {
        let reuse = nextID > 0 && rng.next() % 10 == 0
        let id = reuse ? "e\(rng.next() % UInt64(nextID))" : "e\(nextID)"
        if !reuse { nextID += 1 }
        batch.decisions.append(decision(id, score: Int(rng.next() % 150), time: at(Int64(round))))
      }
      let a = Result { try memory.commit(batch) }
      let b = Result { try sqlite.commit(batch) }
      switch (a, b) {
      case (.success, .success): break
      case (
        .failure(StateStoreError.duplicateEventID(_, _, let x)),
        .failure(StateStoreError.duplicateEventID(_, _, let y))
      ):
        #expect(x == y)
      default:
        Issue.record("round \(round): in-memory \(a), SQLite \(b)")
        return
      }
      if round % 50 == 49 { sqlite = try SQLiteStateStore(path: path, tenant: "t") }  // reopen now and then
      for k in keys { #expect(try memory.loadState(k) == sqlite.loadState(k), "round \(round) \(k)") }
      for i in 0..<nextID where rng.next() % 8 == 0 {
        #expect(try memory.decisionLine(forEventID: "e\(i)") == sqlite.decisionLine(forEventID: "e\(i)"))
      }
    }
    #expect(try memory.decisionCount() == sqlite.decisionCount())
    #expect(try memory.decisions() == sqlite.decisions())
    #expect(try memory.decisions(after: 17, limit: 5) == sqlite.decisions(after: 17, limit: 5))
  }
}
