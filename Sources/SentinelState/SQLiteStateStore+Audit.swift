// The audit chain on the SQLite store: the cached chain head used by `commit`, reading chained
// records back, verification (AuditVerifier.swift), retention, and the analytics summary.

import Foundation
import GRDB
import SentinelCrypto
import SentinelModel
import Synchronization

// MARK: - Chain head (commit path)

/// The cached audit-chain heads by tenant, shared by the stores of one connection, valid for one
/// `PRAGMA data_version` of that connection: another connection's commit (a second consumer on
/// the same file, `sentinel audit prune`) changes it, and the heads are then read again.
final class ChainHeadCache: Sendable {
  private let heads = Mutex<(version: Int64?, heads: [String: AuditHead])>((nil, [:]))

  /// Runs `body` with the heads locked.
  func withLock<R: Sendable>(_ body: (inout [String: AuditHead]) -> R) -> R {
    heads.withLock { body(&$0.heads) }
  }

  /// The cached head of `tenant` if nothing but this connection wrote since it was cached
  /// (`version`: the connection's current `data_version`).
  func head(_ tenant: String, version: Int64) -> AuditHead? {
    heads.withLock { state in
      if state.version != version {
        state.version = version
        state.heads.removeAll()
      }
      return state.heads[tenant]
    }
  }
}

extension SQLiteStateStore {
  /// The tenant's chain head: cached after a commit while no other connection writes the file,
  /// read from the database otherwise. Called inside the commit's write transaction, so no
  /// other connection can commit between this read and the commit.
  func chainHead(_ db: Database) throws -> AuditHead {
    // A cached statement: preparing the pragma again took a few µs per commit.
    let version = try Int64.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? -1
    if let head = chainHeads.head(tenant, version: version) { return head }
    return try AuditChain.loadHead(db, tenant: tenant)
  }

  /// After a commit: caches the new head, or (the commit failed) forgets every cached head.
  func settleChainHead(_ head: AuditHead?, committed: Bool) {
    chainHeads.withLock { heads in
      if !committed {
        heads.removeAll()
      } else if let head {
        heads[tenant] = head
      }
    }
  }

  /// The commit time of a batch: now, but never before the previous record's, so that commit
  /// time never decreases along a chain (retention and the analytics window rely on it).
  static func commitTime(after head: AuditHead) -> Int64 {
    max(AuditChain.millis(Self.now()), head.decidedAt)
  }

  /// The wall clock as a timestamp.
  static func now() -> Timestamp {
    let t = Date().timeIntervalSince1970
    let seconds = t.rounded(.down)
    return Timestamp(seconds: Int64(seconds), nanos: Int32(min(999_999_999, (t - seconds) * 1e9)))
  }

  /// The head after appending `record` to the chain at `head`.
  func link(_ record: DecisionRecord, after head: AuditHead, decidedAt: Int64) throws -> AuditHead {
    let seq = head.seq + 1
    // A head made by the previous link carries its raw hash: no hex decoding per decision.
    guard let prev = head.rawHash ?? AuditChain.rawHash(head.hash) else {
      throw StateStoreError.corruptDecision(
        path: path, tenant: tenant, eventID: record.eventID,
        reason: "the audit chain's head (seq \(head.seq)) has a malformed hash `\(head.hash)`")
    }
    let raw = AuditChain.digest(
      tenant: tenant, seq: seq, record: record, decidedAt: decidedAt, prevHash: prev)
    return AuditHead(seq: seq, hash: Hex.encode(raw), decidedAt: decidedAt, rawHash: raw)
  }
}

// MARK: - Reading

/// A stored decision as `GET /v1/decisions/{id}` shows it.
public enum StoredDecision: Sendable, Equatable {
  /// In the decision log, with its audit record.
  case chained(AuditEntry)
  /// Removed by retention: only its decision line is kept (for deduplication).
  case pruned(eventID: String, line: String)
}

extension SQLiteStateStore {
  /// The stored decision for `eventID` with its audit record, or nil when there is none.
  public func storedDecision(eventID: String) throws -> StoredDecision? {
    try run("look up event `\(eventID)`") { db in
      if let id = try decisionRowID(forEventID: eventID, db) {
        let s = try db.cachedStatement(sql: "SELECT \(AuditRows.columns) FROM decision WHERE id = ?")
        if let row = try Row.fetchOne(s, arguments: [id]) {
          return .chained(try AuditRows.entry(row, tenant: tenant, path: path))
        }
      }
      let p = try db.cachedStatement(sql: "SELECT line FROM pruned_event WHERE tenant = ? AND event_id = ?")
      if let line = try String.fetchOne(p, arguments: [tenant, eventID]) {
        return .pruned(eventID: eventID, line: line)
      }
      return nil
    }
  }

  /// Every tenant with records or an anchor, sorted.
  public func auditTenants() throws -> [String] {
    try run("list tenants") { db in
      try String.fetchAll(
        db, sql: "SELECT tenant FROM decision UNION SELECT tenant FROM audit_anchor ORDER BY tenant")
    }
  }

  /// The tenant's retention anchor, or nil when nothing was pruned.
  public func auditAnchor(tenant: String) throws -> AuditAnchor? {
    try run("read the audit anchor") { db in try Self.anchor(db, tenant: tenant) }
  }

  static func anchor(_ db: Database, tenant: String) throws -> AuditAnchor? {
    guard
      let row = try Row.fetchOne(
        db, sql: "SELECT seq, hash, decided_at, pruned, pruned_at FROM audit_anchor WHERE tenant = ?",
        arguments: [tenant])
    else { return nil }
    return AuditAnchor(
      tenant: tenant, seq: row["seq"], hash: row["hash"], decidedAt: row["decided_at"], pruned: row["pruned"],
      prunedAt: row["pruned_at"])
  }

  /// Calls `body` with each of `tenant`'s records after `seq`, in seq order, until it returns
  /// false. Reads in pages; `body` runs outside the database lock.
  public func forEachAuditEntry(
    tenant: String, after seq: Int64 = 0, _ body: (AuditEntry) throws -> Bool
  ) throws {
    var after = seq
    while true {
      let page = try run("read the audit chain") { db in
        let s = try db.cachedStatement(
          sql:
            "SELECT \(AuditRows.columns) FROM decision WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT 1024")
        return try Row.fetchAll(s, arguments: [tenant, after]).map {
          try AuditRows.entry($0, tenant: tenant, path: path)
        }
      }
      if page.isEmpty { return }
      for e in page {
        after = e.seq
        if try !body(e) { return }
      }
    }
  }

  // MARK: - Verification

  /// Recomputes the chain of every tenant (or only `tenant`) and stops at the first broken link;
  /// with a checkpoint, also checks each of its tenants' chains reach its last record unchanged.
  public func verifyAuditChain(tenant: String? = nil, checkpoint: AuditCheckpoint? = nil) throws
    -> AuditReport
  {
    try run("verify the audit chain") { db in
      var tenants = try String.fetchAll(
        db, sql: "SELECT tenant FROM decision UNION SELECT tenant FROM audit_anchor ORDER BY tenant")
      for t in checkpoint?.tenants.map(\.tenant) ?? [] where !tenants.contains(t) { tenants.append(t) }
      if let tenant { tenants = tenants.filter { $0 == tenant } }
      var report = AuditReport(tenants: [], firstBreak: nil)
      for t in tenants.sorted() {
        let expected = checkpoint?.tenants.first { $0.tenant == t }
        switch try AuditVerifier.verify(db, tenant: t, checkpoint: expected, path: path) {
        case .success(let summary): report.tenants.append(summary)
        case .failure(let broken):
          report.firstBreak = broken
          return report
        }
      }
      return report
    }
  }

  /// The head of each tenant's chain (or only `tenant`'s): what a checkpoint records.
  public func auditHeads(tenant: String? = nil) throws -> [AuditCheckpoint.TenantHead] {
    try run("read the chain heads") { db in
      var out: [AuditCheckpoint.TenantHead] = []
      let tenants = try String.fetchAll(
        db, sql: "SELECT tenant FROM decision UNION SELECT tenant FROM audit_anchor ORDER BY tenant")
      for t in tenants where tenant == nil || tenant == t {
        let head = try AuditChain.loadHead(db, tenant: t)
        let count =
          try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM decision WHERE tenant = ?", arguments: [t]) ?? 0
        out.append(.init(tenant: t, seq: head.seq, hash: head.hash, count: count))
      }
      return out
    }
  }

  // MARK: - Retention

  /// Removes, per tenant (or only `tenant`), the longest prefix of the chain whose records were
  /// all committed before `cutoff` (milliseconds since 1970), keeping their event ids and lines
  /// in `pruned_event` and the last removed record as the tenant's anchor. Refuses (throws
  /// `AuditPruneError.brokenChain`) when a chain does not verify: pruning would erase the
  /// evidence. `verifying`: the whole chain (`sentinel audit prune`), or only the records the
  /// prune removes and the first one it keeps (its link to them), which is all a prune could
  /// erase — a break later in the chain stays in the file for `verify` to report. One
  /// transaction.
  public func pruneAudit(
    before cutoff: Int64, tenant: String? = nil, verifying: AuditPruneVerification = .wholeChain
  ) throws -> [AuditPruneResult] {
    if isReadOnly { throw StateStoreError.readOnly(path: path) }
    let prunedAt = AuditChain.millis(Self.now())
    let results = try run("prune the decision log") { db in
      // Removed records are zeroed on every page they leave, freed pages included (commits
      // run with FAST, `SQLiteStateStore.init`); FAST again for the connection's later commits.
      try db.execute(sql: "PRAGMA secure_delete = ON")
      defer { try? db.execute(sql: "PRAGMA secure_delete = FAST") }
      var results: [AuditPruneResult] = []
      try db.inTransaction(.immediate) {
        var tenants = try String.fetchAll(db, sql: "SELECT DISTINCT tenant FROM decision ORDER BY tenant")
        if let tenant { tenants = tenants.filter { $0 == tenant } }
        for t in tenants {
          let firstKept = try Int64.fetchOne(
            db, sql: "SELECT MIN(seq) FROM decision WHERE tenant = ? AND decided_at >= ?",
            arguments: [t, cutoff])
          // Nothing to remove: nothing to verify for the removed records.
          if verifying == .removedRecords, let firstKept {
            let older = try Int64.fetchOne(
              db, sql: "SELECT 1 FROM decision WHERE tenant = ? AND seq < ? LIMIT 1",
              arguments: [t, firstKept])
            if older == nil { continue }
          }
          let through = verifying == .removedRecords ? firstKept : nil
          if case .failure(let broken) = try AuditVerifier.verify(
            db, tenant: t, checkpoint: nil, path: path, through: through)
          {
            throw AuditPruneError.brokenChain(broken)
          }
          let last: Int64?
          if let firstKept {
            last = try Int64.fetchOne(
              db, sql: "SELECT MAX(seq) FROM decision WHERE tenant = ? AND seq < ?",
              arguments: [t, firstKept])
          } else {
            last = try Int64.fetchOne(
              db, sql: "SELECT MAX(seq) FROM decision WHERE tenant = ?", arguments: [t])
          }
          guard let last,
            let row = try Row.fetchOne(
              db, sql: "SELECT hash, decided_at FROM decision WHERE tenant = ? AND seq = ?",
              arguments: [t, last])
          else { continue }
          // An outbox row naming a decision about to go keeps its line (not yet published).
          try db.execute(
            sql: """
              UPDATE outbox SET body = (SELECT d.line FROM decision AS d
                  WHERE d.tenant = outbox.tenant AND d.seq = outbox.decision_seq), decision_seq = NULL
                WHERE tenant = ? AND decision_seq <= ?
              """, arguments: [t, last])
          try db.execute(
            sql: """
              INSERT OR IGNORE INTO pruned_event (tenant, event_id, line)
                SELECT tenant, event_id, line FROM decision WHERE tenant = ? AND seq <= ?
              """, arguments: [t, last])
          // Their event ids leave the index (the tail's are not in it: deleting them is a no-op).
          let unindex = try db.cachedStatement(
            sql: "DELETE FROM event_index WHERE key = ? AND decision_id = ?")
          let gone = try Row.fetchCursor(
            db, sql: "SELECT event_id, id FROM decision WHERE tenant = ? AND seq <= ?", arguments: [t, last])
          while let row = try gone.next() {
            let id: Int64 = row[1]
            try unindex.execute(arguments: [folds.eventKey.of(tenant: t, eventID: row[0]), id])
          }
          try db.execute(sql: "DELETE FROM decision WHERE tenant = ? AND seq <= ?", arguments: [t, last])
          let removed = Int64(db.changesCount)
          let before = try Self.anchor(db, tenant: t)?.pruned ?? 0
          let anchor = AuditAnchor(
            tenant: t, seq: last, hash: row["hash"], decidedAt: row["decided_at"], pruned: before + removed,
            prunedAt: prunedAt)
          try db.execute(
            sql: """
              INSERT INTO audit_anchor (tenant, seq, hash, decided_at, pruned, pruned_at) VALUES (?, ?, ?, ?, ?, ?)
              ON CONFLICT (tenant) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
                decided_at = excluded.decided_at, pruned = excluded.pruned, pruned_at = excluded.pruned_at
              """,
            arguments: [t, anchor.seq, anchor.hash, anchor.decidedAt, anchor.pruned, anchor.prunedAt])
          let kept =
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM decision WHERE tenant = ?", arguments: [t]) ?? 0
          results.append(AuditPruneResult(tenant: t, removed: Int(removed), kept: kept, anchor: anchor))
        }
        // Without their last rows, new decisions may get rowids at or below the mark: the mark
        // comes down to the last row left, so that they are in the tail.
        try db.execute(
          sql: """
            UPDATE fold_mark SET indexed_through =
              min(indexed_through, (SELECT ifnull(max(id), 0) FROM decision))
            """)
        return .commit
      }
      // The tail in memory may name removed rows.
      folds.invalidate()
      return results
    }
    return results
  }

  // MARK: - Analytics

  /// Counts of the decisions committed in [`from`, `to`] (milliseconds since 1970) by action and
  /// by rule. Commit time never decreases along the chain, so the first record of the window is
  /// found by a binary search on `seq`; the counts are one indexed range scan each.
  public func decisionSummary(from: Int64, to: Int64) throws -> DecisionSummary {
    try run("summarize decisions") { db in
      var summary = DecisionSummary(from: from, to: to, total: 0, byAction: [:], byRule: [:])
      guard
        let bounds = try Row.fetchOne(
          db, sql: "SELECT MIN(seq) AS lo, MAX(seq) AS hi FROM decision WHERE tenant = ?", arguments: [tenant]
        ),
        var lo = bounds["lo"] as Int64?, var hi = bounds["hi"] as Int64?
      else { return summary }
      let probe = try db.cachedStatement(
        sql: "SELECT seq, decided_at FROM decision WHERE tenant = ? AND seq >= ? ORDER BY seq LIMIT 1")
      // The first seq whose record was committed at or after `from` (hi + 1 when none).
      hi += 1
      while lo < hi {
        let mid = lo + (hi - lo) / 2
        guard let row = try Row.fetchOne(probe, arguments: [tenant, mid]) else {
          hi = mid
          continue
        }
        if (row["decided_at"] as Int64) < from { lo = (row["seq"] as Int64) + 1 } else { hi = mid }
      }
      let actions = try Row.fetchAll(
        db,
        sql: """
          SELECT action, COUNT(*) AS n FROM decision
          WHERE tenant = ? AND seq >= ? AND decided_at >= ? AND decided_at <= ? GROUP BY action
          """, arguments: [tenant, lo, from, to])
      for row in actions {
        let n: Int = row["n"]
        summary.byAction[row["action"], default: 0] += n
        summary.total += n
      }
      let rules = try Row.fetchAll(
        db,
        sql: """
          SELECT j.value AS rule, COUNT(*) AS n FROM decision AS d, json_each(d.rules) AS j
          WHERE d.tenant = ? AND d.seq >= ? AND d.decided_at >= ? AND d.decided_at <= ? GROUP BY j.value
          """, arguments: [tenant, lo, from, to])
      for row in rules { summary.byRule[row["rule"]] = row["n"] }
      return summary
    }
  }
}

// MARK: - Results

/// What `pruneAudit` verifies before it removes anything.
public enum AuditPruneVerification: Sendable, Equatable {
  /// Each tenant's whole chain (`sentinel audit prune`): a break anywhere refuses the prune.
  case wholeChain
  /// Only the records a prune removes, and the first record it keeps (its link to them): a run's
  /// cost follows what it removes, not the log's size (the daemon's scheduled retention).
  case removedRecords
}

/// What `pruneAudit` did for one tenant.
public struct AuditPruneResult: Sendable, Equatable {
  /// The tenant.
  public var tenant: String
  /// Records removed by this prune.
  public var removed: Int
  /// Records left in the log.
  public var kept: Int
  /// The tenant's anchor after the prune.
  public var anchor: AuditAnchor
}

/// Why a prune was refused.
public enum AuditPruneError: Error, Sendable, CustomStringConvertible {
  /// A chain does not verify; nothing was removed.
  case brokenChain(AuditBreak)

  /// A one-line message.
  public var description: String {
    switch self {
    case .brokenChain(let b): return "refusing to prune: the audit chain is broken: \(b)"
    }
  }
}

/// Decision counts over a window of commit time.
public struct DecisionSummary: Sendable, Equatable {
  /// The window's start (milliseconds since 1970, inclusive).
  public var from: Int64
  /// The window's end (milliseconds since 1970, inclusive).
  public var to: Int64
  /// Decisions committed in the window.
  public var total: Int
  /// Decisions by action.
  public var byAction: [String: Int]
  /// Decisions that matched each rule (a decision counts once for each rule it matched).
  public var byRule: [String: Int]
}
