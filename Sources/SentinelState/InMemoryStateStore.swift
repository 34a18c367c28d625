// A state store in memory: for tests, for `sentinel run` without `--state`, and as the model the
// SQLite store is tested against (same behaviour, including errors, minus durability).

import Synchronization

// MARK: - InMemoryStateStore

/// A `StateStore` that keeps everything in memory (lost at exit). Thread-safe.
public final class InMemoryStateStore: StateStore, DecisionLog, EventIDIndex, Sendable {
  /// The tenant whose state this store holds.
  public let tenant: String
  private let contents = Mutex(Contents())

  private struct Contents {
    var states: [StateKey: AggregateState] = [:]
    var decisions: [LoggedDecision] = []
    /// The decisions by the hash of their event id (`hashValue`): the index of the newest one
    /// with that hash; older ones with the same hash are chained through `sameHash`. Hashes, not
    /// the ids: growing the index rehashes integers, not strings (replay commits ~100 decisions
    /// per millisecond).
    var byHash: [Int: Int] = [:]
    /// For each decision: the previous decision whose event id has the same hash, or -1.
    var sameHash: [Int] = []

    /// The index in `decisions` of the decision for `id` (whose hash is `hash`), or nil.
    func index(of id: String, hash: Int) -> Int? {
      var i = byHash[hash] ?? -1
      while i >= 0 {
        if decisions[i].record.eventID == id { return i }
        i = sameHash[i]
      }
      return nil
    }
  }

  /// An empty store.
  public init(tenant: String = "default") {
    self.tenant = tenant
  }

  /// The stored state for `key`, or nil.
  public func loadState(_ key: StateKey) throws -> AggregateState? {
    contents.withLock { $0.states[key] }
  }

  /// The decision line recorded for this event id, or nil.
  public func decisionLine(forEventID id: String) throws -> String? {
    let hash = id.hashValue
    return contents.withLock { c in c.index(of: id, hash: hash).map { c.decisions[$0].record.line } }
  }

  /// Applies a batch atomically: a duplicate event id rejects the whole batch. Outbox rows and
  /// fences are refused (a stream consumer needs a durable store).
  public func commit(_ batch: StateBatch) throws {
    if !batch.outbox.isEmpty || batch.expectedLastSequence != nil || batch.markOutboxPublishedThrough != nil {
      throw StateStoreError.database(
        path: ":memory:", operation: "commit", reason: "the in-memory store keeps no outbox and no fence")
    }
    try contents.withLock { c in
      // Decisions are appended as they are checked, and taken out again when a later one is a
      // duplicate (the batch then changes nothing).
      let base = c.decisions.count
      var sequence = c.decisions.last?.sequence ?? 0
      for d in batch.decisions {
        let hash = d.eventID.hashValue
        if c.index(of: d.eventID, hash: hash) != nil {
          // Already recorded, or earlier in this batch: undo this batch's insertions, newest first.
          for e in (base..<c.decisions.count).reversed() {
            let h = c.decisions[e].record.eventID.hashValue
            c.byHash[h] = c.sameHash[e] >= 0 ? c.sameHash[e] : nil
          }
          c.decisions.removeSubrange(base...)
          c.sameHash.removeSubrange(base...)
          throw StateStoreError.duplicateEventID(path: ":memory:", tenant: tenant, eventID: d.eventID)
        }
        sequence += 1
        c.sameHash.append(c.byHash.updateValue(c.decisions.count, forKey: hash) ?? -1)
        c.decisions.append(LoggedDecision(sequence: sequence, record: d))
      }
      for (k, s) in batch.states { c.states[k] = s }
    }
  }

  /// The number of decisions recorded.
  public func decisionCount() throws -> Int { contents.withLock { $0.decisions.count } }

  /// Calls `body` with each decision after `sequence`, in order, until it returns false.
  public func forEachDecision(after sequence: Int64, _ body: (LoggedDecision) throws -> Bool) throws {
    // Copy out first: `body` may call back into the store.
    let snapshot = contents.withLock { c in c.decisions.filter { $0.sequence > sequence } }
    for d in snapshot where try !body(d) { return }
  }

  /// Every event id recorded.
  public func allEventIDs() throws -> Set<String> {
    contents.withLock { Set($0.decisions.lazy.map(\.record.eventID)) }
  }

  /// Every stored aggregate state.
  public func allStates() throws -> [StateKey: AggregateState] { contents.withLock { $0.states } }

  /// The number of stored aggregate states.
  public func stateCount() -> Int { contents.withLock { $0.states.count } }
}
