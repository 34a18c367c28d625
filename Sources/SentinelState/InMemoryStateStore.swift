// A state store in memory: for tests, for `sentinel run` without `--state`, and as the model the
// SQLite store is tested against (same behaviour, including errors, minus durability).

import Synchronization

// MARK: - InMemoryStateStore

/// A `StateStore` that keeps everything in memory (lost at exit). Thread-safe.
public final class InMemoryStateStore: StateStore, DecisionLog, EventIDIndex, Sendable {
  /// The tenant whose state this store holds.
  public let tenant: String
  /// Whether its one writer checks that every event id it commits is new (`init`).
  public let writerChecksEventIDs: Bool
  private let contents = Mutex(Contents())

  private struct Contents {
    var states: [StateKey: AggregateState] = [:]
    /// The decisions, as the batches that committed them: each batch's own array is kept, so a
    /// commit copies no decision (a `LoggedDecision` per decision, retaining its five strings and
    /// arrays, was ~2 % of an in-memory replay's deciding thread; docs/performance.md, "session
    /// 12"). Decision `i` (in commit order, from 0) has sequence number `i + 1`.
    var batches: [[DecisionRecord]] = []
    /// The index of each batch's first decision (increasing).
    var batchStarts: [Int] = []
    /// The number of decisions.
    var count = 0
    /// The decisions by the hash of their event id (`hashValue`): the index of the newest one
    /// with that hash; older ones with the same hash are chained through `sameHash`. Hashes, not
    /// the ids: growing the index rehashes integers, not strings (replay commits ~100 decisions
    /// per millisecond).
    var byHash: [Int: Int] = [:]
    /// For each decision in `byHash`: the previous decision whose event id has the same hash,
    /// or -1. Its count is the number of decisions indexed: all of them, but with
    /// `writerChecksEventIDs` those committed since the last lookup.
    var sameHash: [Int] = []

    /// With `writerChecksEventIDs`: the records compared by lookups that scanned the decisions
    /// not indexed yet (`lookUp`).
    var scanned = 0

    /// The index of the decision for `id` (whose hash is `hash`), or nil, with the decisions not
    /// indexed yet found by a scan while the scans so far have compared no more than 4 records
    /// per decision, else indexed first. A lookup comes for an id whose 32-bit fingerprint an
    /// earlier one had (`EventProcessor`'s tracked ids): in a replay of 100,000 events ~1.2 on
    /// average, 2 or 3 in some runs — each costs a scan (a few ms: the records in order, the ids
    /// compared), not an index of every decision (~20 ms: an id hashed and a table probed each).
    /// The scans stay below the cost of the index they replace.
    mutating func lookUp(_ id: String, hash: Int) -> Int? {
      let indexed = sameHash.count
      if count - indexed > 0 && scanned + (count - indexed) <= 4 * count {
        scanned += count - indexed
        var b = batchStarts.count - 1
        while b >= 0 && batchStarts[b] + batches[b].count > indexed {
          for j in batches[b].indices.reversed() where batchStarts[b] + j >= indexed {
            if batches[b][j].eventID == id { return batchStarts[b] + j }
          }
          b -= 1
        }
        return index(of: id, hash: hash)
      }
      indexTail()
      return index(of: id, hash: hash)
    }

    /// Puts the decisions not in the id index yet in it, in order.
    mutating func indexTail() {
      guard sameHash.count < count else { return }
      var b = batchStarts.count - 1
      while batchStarts[b] > sameHash.count { b -= 1 }
      while b < batches.count {
        for j in (sameHash.count - batchStarts[b])..<batches[b].count {
          let hash = batches[b][j].eventID.hashValue
          sameHash.append(byHash.updateValue(batchStarts[b] + j, forKey: hash) ?? -1)
        }
        b += 1
      }
    }

    /// Decision `i` (0 ≤ i < count).
    func record(_ i: Int) -> DecisionRecord {
      // The last batch whose first decision is at or before `i` (binary search).
      var lo = 0
      var hi = batchStarts.count - 1
      while lo < hi {
        let mid = (lo + hi + 1) / 2
        if batchStarts[mid] <= i { lo = mid } else { hi = mid - 1 }
      }
      return batches[lo][i - batchStarts[lo]]
    }

    /// The index of the decision for `id` (whose hash is `hash`), or nil.
    func index(of id: String, hash: Int) -> Int? {
      var i = byHash[hash] ?? -1
      while i >= 0 {
        if record(i).eventID == id { return i }
        i = sameHash[i]
      }
      return nil
    }

    /// Every decision from index `first` on, in order.
    func forEachRecord(from first: Int, _ body: (Int, DecisionRecord) -> Void) {
      for (b, batch) in batches.enumerated() where batchStarts[b] + batch.count > first {
        for (j, r) in batch.enumerated() where batchStarts[b] + j >= first { body(batchStarts[b] + j, r) }
      }
    }
  }

  /// An empty store. `writerChecksEventIDs`: one writer commits to it, and it checks that every
  /// event id it commits is new (`EventProcessor` does, before deciding an event): a commit then
  /// neither checks the ids nor indexes them, and the id index is brought up to date on a lookup
  /// (`decisionLine`). `replay` in memory: the index was ~7 % of its deciding thread, for a lookup
  /// that came for a few of the 100,000 events (docs/performance.md, "the work split anew between
  /// the two threads").
  public init(tenant: String = "default", writerChecksEventIDs: Bool = false) {
    self.tenant = tenant
    self.writerChecksEventIDs = writerChecksEventIDs
  }

  /// The stored state for `key`, or nil.
  public func loadState(_ key: StateKey) throws -> AggregateState? {
    contents.withLock { $0.states[key] }
  }

  /// The decision line recorded for this event id, or nil.
  public func decisionLine(forEventID id: String) throws -> String? {
    let hash = id.hashValue
    return contents.withLock { c in c.lookUp(id, hash: hash).map { c.record($0).line } }
  }

  /// Applies a batch atomically: a duplicate event id rejects the whole batch (unchecked with
  /// `writerChecksEventIDs`: the writer did). Outbox rows and fences are refused (a stream consumer needs a durable store).
  public func commit(_ batch: StateBatch) throws {
    if !batch.outbox.isEmpty || batch.expectedLastSequence != nil || batch.markOutboxPublishedThrough != nil {
      throw StateStoreError.database(
        path: ":memory:", operation: "commit", reason: "the in-memory store keeps no outbox and no fence")
    }
    try contents.withLock { c in
      if writerChecksEventIDs {
        // Kept as it is; indexed on the next lookup (`indexTail`).
        if !batch.decisions.isEmpty {
          c.batches.append(batch.decisions)
          c.batchStarts.append(c.count)
          c.count += batch.decisions.count
        }
      } else if !batch.decisions.isEmpty {
        // The batch is kept as it is; its ids are indexed as they are checked (a later one may
        // repeat an earlier one), and taken out again when one is a duplicate (the batch then
        // changes nothing).
        let base = c.count
        c.batches.append(batch.decisions)
        c.batchStarts.append(base)
        c.count += batch.decisions.count
        // By index, reading only the id: `for d in batch.decisions` copied each record (five
        // retains and releases).
        for j in batch.decisions.indices {
          let id = batch.decisions[j].eventID
          let hash = id.hashValue
          // One probe: the id becomes the newest with its hash, then the older ones with that
          // hash (its chain) are checked for the same id.
          let previous = c.byHash.updateValue(base + j, forKey: hash) ?? -1
          c.sameHash.append(previous)
          var i = previous
          while i >= 0, c.record(i).eventID != id { i = c.sameHash[i] }
          if i >= 0 {
            // Already recorded, or earlier in this batch: undo this batch's insertions (this one
            // included), newest first.
            for e in (base...(base + j)).reversed() {
              let h = batch.decisions[e - base].eventID.hashValue
              c.byHash[h] = c.sameHash[e] >= 0 ? c.sameHash[e] : nil
            }
            c.sameHash.removeSubrange(base...)
            c.batches.removeLast()
            c.batchStarts.removeLast()
            c.count = base
            throw StateStoreError.duplicateEventID(path: ":memory:", tenant: tenant, eventID: id)
          }
        }
      }
      for (k, s) in batch.states { c.states[k] = s }
    }
  }

  /// The number of decisions recorded.
  public func decisionCount() throws -> Int { contents.withLock { $0.count } }

  /// Calls `body` with each decision after `sequence`, in order, until it returns false.
  public func forEachDecision(after sequence: Int64, _ body: (LoggedDecision) throws -> Bool) throws {
    // Copy out first: `body` may call back into the store. Decision `i` has sequence `i + 1`.
    let snapshot = contents.withLock { c in
      var out: [LoggedDecision] = []
      c.forEachRecord(from: Int(clamping: max(0, sequence))) { i, r in
        out.append(LoggedDecision(sequence: Int64(i + 1), record: r))
      }
      return out
    }
    for d in snapshot where try !body(d) { return }
  }

  /// Every event id recorded.
  public func allEventIDs() throws -> Set<String> {
    contents.withLock { c in
      var ids = Set<String>(minimumCapacity: c.count)
      for batch in c.batches { for r in batch { ids.insert(r.eventID) } }
      return ids
    }
  }

  /// Every stored aggregate state.
  public func allStates() throws -> [StateKey: AggregateState] { contents.withLock { $0.states } }

  /// The number of stored aggregate states.
  public func stateCount() -> Int { contents.withLock { $0.states.count } }
}
