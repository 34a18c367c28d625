// Audit-chain links computed ahead of the commit. A commit links each decision to the one before
// (SHA-256 over the record and the previous hash; AuditChain.swift), ~15 % of a replay commit
// thread's CPU. A pipelined writer (replay) knows the head its next batch will follow: the end of
// the batch in flight. It computes the next batch's links on its own thread while that commit
// runs (`prelink`) and hands them over in `StateBatch.prelinked`; the commit uses them when they
// start at the head it finds in its transaction and name the same decisions, and links the batch
// itself otherwise (another writer committed, a failed commit was retried). `decided_at` is then
// the time the links were computed — at most one commit earlier than the commit — never before
// the previous record's.

import SentinelModel

/// A position in a tenant's audit chain: the last record's sequence number, hash and commit time.
public struct ChainTip: Sendable, Equatable {
  let head: AuditHead
}

/// The links of a batch's decisions, computed after `start` (`SQLiteStateStore.prelink`).
public struct PrelinkedChain: Sendable {
  /// The head the links follow.
  let start: AuditHead
  /// The commit time they carry.
  let decidedAt: Int64
  /// Each decision's event id and hash, in order.
  let eventIDs: [String]
  let hashes: [String]
  /// Where the chain stands after them (the next batch's start).
  public let end: ChainTip

  /// Whether these links apply to `decisions` after `head`.
  func applies(to decisions: [DecisionRecord], after head: AuditHead) -> Bool {
    guard start == head, eventIDs.count == decisions.count else { return false }
    for (id, d) in zip(eventIDs, decisions) where id != d.eventID { return false }
    return true
  }
}

extension SQLiteStateStore {
  /// The tenant's chain head now (one read; call it between commits).
  public func chainTip() throws -> ChainTip {
    try run("read the chain head") { db in ChainTip(head: try chainHead(db)) }
  }

  /// The links of `decisions` after `tip`, computed on the caller's thread without touching the
  /// database (pass the result in `StateBatch.prelinked`; `end` is the next batch's tip).
  public func prelink(_ decisions: [DecisionRecord], after tip: ChainTip) throws -> PrelinkedChain {
    let decidedAt = Self.commitTime(after: tip.head)
    var head = tip.head
    var hashes: [String] = []
    hashes.reserveCapacity(decisions.count)
    // By index: `for d in decisions` copies each record out (retaining its strings).
    for i in decisions.indices {
      head = try link(decisions[i], after: head, decidedAt: decidedAt)
      hashes.append(head.hash)
    }
    return PrelinkedChain(
      start: tip.head, decidedAt: decidedAt, eventIDs: decisions.map(\.eventID), hashes: hashes,
      end: ChainTip(head: head))
  }
}
