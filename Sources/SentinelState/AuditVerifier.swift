// Verifying a tenant's audit chain (AuditChain.swift): walks the records in `seq` order from
// the retention anchor (or from seq 1) and reports the FIRST broken link, saying what differs.
//
// Per record, in this order:
//   1. seq is the previous seq + 1            (a deleted, renumbered or reordered record)
//   2. prev_hash is the previous record's hash (a record removed, inserted, moved or swapped)
//   3. hash is the hash of the record's content (an edited field, or an edited hash)
//   4. with a checkpoint: the record at the checkpoint's seq has the checkpoint's hash
//      (a chain rewritten and re-hashed); after the walk: the chain reaches that seq
//      (a truncated tail).

import GRDB
import SentinelModel

/// The first broken link of an audit chain.
public struct AuditBreak: Error, Sendable, Equatable, CustomStringConvertible {
  /// The tenant whose chain is broken.
  public var tenant: String
  /// The sequence number of the record where the chain breaks (nil when it is not one record).
  public var seq: Int64?
  /// The event id of that record.
  public var eventID: String?
  /// What differs.
  public var problem: String

  /// A broken link.
  public init(tenant: String, seq: Int64?, eventID: String?, problem: String) {
    self.tenant = tenant
    self.seq = seq
    self.eventID = eventID
    self.problem = problem
  }

  /// `tenant `t`, seq 5, event `e-5`: what differs`.
  public var description: String {
    var out = "tenant `\(tenant)`"
    if let seq { out += ", seq \(seq)" }
    if let eventID { out += ", event `\(eventID)`" }
    return out + ": " + problem
  }
}

/// One tenant's chain that verified.
public struct AuditTenantReport: Sendable, Equatable {
  /// The tenant.
  public var tenant: String
  /// Records in the log (after the anchor).
  public var records: Int
  /// The first record's seq, nil when the log is empty.
  public var firstSeq: Int64?
  /// The head: last record's (or the anchor's) seq and hash; 0 and the genesis value when empty.
  public var headSeq: Int64
  /// The head's hash.
  public var headHash: String
  /// The retention anchor the walk started from.
  public var anchor: AuditAnchor?
  /// The checkpoint seq the chain was checked against, when a checkpoint was given.
  public var checkpointSeq: Int64?
}

/// The result of verifying a database's chains.
public struct AuditReport: Sendable, Equatable {
  /// The tenants that verified, in name order.
  public var tenants: [AuditTenantReport]
  /// The first broken link (verification stops there), nil when every chain verified.
  public var firstBreak: AuditBreak?

  /// Whether every chain verified.
  public var isIntact: Bool { firstBreak == nil }
  /// Records verified.
  public var records: Int { tenants.reduce(0) { $0 + $1.records } }
}

enum AuditVerifier {
  /// Verifies `tenant`'s chain (and that it reaches `checkpoint` unchanged); with `through`, only
  /// its records up to that seq (retention: what a prune removes and the first record it keeps).
  static func verify(
    _ db: Database, tenant: String, checkpoint: AuditCheckpoint.TenantHead?, path: String,
    through: Int64? = nil
  ) throws -> Result<AuditTenantReport, AuditBreak> {
    func broken(_ seq: Int64?, _ eventID: String?, _ problem: String) -> Result<AuditTenantReport, AuditBreak>
    {
      .failure(AuditBreak(tenant: tenant, seq: seq, eventID: eventID, problem: problem))
    }
    let anchor = try SQLiteStateStore.anchor(db, tenant: tenant)
    var prevSeq = anchor?.seq ?? 0
    var prevHash = anchor?.hash ?? AuditChain.genesis
    var checkpointReached = checkpoint?.seq == 0
    if let cp = checkpoint, let anchor {
      if anchor.seq > cp.seq {
        return broken(
          nil, nil,
          "the checkpoint ends at seq \(cp.seq), before the retention anchor (seq \(anchor.seq)): those records "
            + "were pruned, so the checkpoint cannot be checked; verify against a checkpoint exported after the prune"
        )
      }
      if anchor.seq == cp.seq {
        guard anchor.hash == cp.hash else {
          return broken(
            anchor.seq, nil,
            "the retention anchor's hash \(short(anchor.hash)) differs from the checkpoint's \(short(cp.hash)) "
              + "at the same seq: the pruned chain was rewritten")
        }
        checkpointReached = true
      }
    }
    let rows = try Row.fetchCursor(
      db, sql: "SELECT \(AuditRows.columns) FROM decision WHERE tenant = ? AND seq <= ? ORDER BY seq",
      arguments: [tenant, through ?? .max])
    var count = 0
    var firstSeq: Int64?
    while let row = try rows.next() {
      let seq: Int64 = row["seq"]
      let eventID: String = row["event_id"]
      let entry: AuditEntry
      do {
        entry = try AuditRows.entry(row, tenant: tenant, path: path)
      } catch let e as StateStoreError {
        return broken(seq, eventID, "the record does not decode: \(e)")
      }
      if firstSeq == nil { firstSeq = seq }
      if seq != prevSeq + 1 {
        if prevSeq == 0 {
          return broken(
            seq, eventID,
            "the chain starts at seq \(seq), not 1, and no retention anchor records a prune: "
              + "\(range(1, seq - 1)) missing (deleted or renumbered)")
        }
        return broken(
          seq, eventID,
          "seq \(seq) follows seq \(prevSeq): \(range(prevSeq + 1, seq - 1)) missing (deleted or renumbered)")
      }
      if entry.prevHash != prevHash {
        let what =
          prevSeq == 0
          ? "the genesis value (64 zeros) of a tenant's first record"
          : prevSeq == anchor?.seq
            ? "the retention anchor's hash \(short(prevHash)) (seq \(prevSeq))"
            : "the hash \(short(prevHash)) of the previous record (seq \(prevSeq))"
        return broken(
          seq, eventID,
          "prev_hash \(short(entry.prevHash)) is not \(what): a record was removed, inserted, moved or swapped here"
        )
      }
      guard let computed = entry.computedHash else {
        return broken(seq, eventID, "prev_hash `\(entry.prevHash)` is not 64 hex digits")
      }
      if computed != entry.hash {
        let next = try String.fetchOne(
          db, sql: "SELECT prev_hash FROM decision WHERE tenant = ? AND seq = ?",
          arguments: [tenant, seq + 1])
        return broken(seq, eventID, mismatch(entry, computed: computed, nextPrevHash: next))
      }
      if let cp = checkpoint, seq == cp.seq {
        guard entry.hash == cp.hash else {
          return broken(
            seq, eventID,
            "hash \(short(entry.hash)) differs from the checkpoint's \(short(cp.hash)) for this seq, although "
              + "the records verify among themselves: the chain was rewritten and re-hashed at or before seq \(seq)"
          )
        }
        checkpointReached = true
      }
      prevSeq = seq
      prevHash = entry.hash
      count += 1
    }
    if let cp = checkpoint, !checkpointReached {
      return broken(
        nil, nil,
        "the checkpoint records seq \(cp.seq) (hash \(short(cp.hash))) but the chain ends at seq \(prevSeq): "
          + "the tail was truncated (\(cp.seq - prevSeq) record\(cp.seq - prevSeq == 1 ? "" : "s") missing)")
    }
    return .success(
      AuditTenantReport(
        tenant: tenant, records: count, firstSeq: firstSeq, headSeq: prevSeq, headHash: prevHash,
        anchor: anchor,
        checkpointSeq: checkpoint?.seq))
  }

  /// Says why a record's content does not hash to its stored hash, as precisely as the stored
  /// data allows: fields of the decision line that disagree with the record's columns; else
  /// whether the next record links to the recomputed hash (then only the stored hash was edited).
  static func mismatch(_ e: AuditEntry, computed: String, nextPrevHash: String?) -> String {
    let hashes = "it hashes to \(short(computed)), not the stored \(short(e.hash))"
    let disagreements = lineDisagreements(e.record)
    if !disagreements.isEmpty {
      return "the record was edited after it was chained: " + disagreements.joined(separator: "; ")
        + " (\(hashes))"
    }
    if nextPrevHash == computed {
      return "the stored hash was edited: the record's content hashes to \(short(computed)), which the next "
        + "record links to, but `hash` holds \(short(e.hash))"
    }
    if nextPrevHash == e.hash {
      return "the record's content (line, action, score, rules, event time, bundle digest or decided_at) was "
        + "edited after it was chained: \(hashes), which the next record links to"
    }
    return "the record's content or its stored hash was edited: \(hashes)"
  }

  /// Where the decision line and the record's columns disagree (`action`, `score`, `rules`,
  /// `event_id`).
  static func lineDisagreements(_ r: DecisionRecord) -> [String] {
    guard case .map(let m)? = try? JSONReader.parse(r.line) else {
      return ["the decision line is not a JSON object"]
    }
    var out: [String] = []
    if case .string(let id)? = m[string: "event_id"], id != r.eventID {
      out.append("the line's event_id is `\(id)` but the record's is `\(r.eventID)`")
    }
    if case .string(let a)? = m[string: "action"], a != r.action {
      out.append("the line's action is `\(a)` but the record's is `\(r.action)`")
    }
    if case .int(let s)? = m[string: "score"], s != Int64(r.score) {
      out.append("the line's score is \(s) but the record's is \(r.score)")
    }
    if case .list(let items)? = m[string: "rules"] {
      let rules = items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
      if rules != r.rules {
        out.append("the line's rules are \(rules) but the record's are \(r.rules)")
      }
    }
    return out
  }

  static func short(_ hash: String) -> String {
    hash.count > 16 ? String(hash.prefix(16)) + "…" : "`\(hash)`"
  }

  static func range(_ a: Int64, _ b: Int64) -> String { a == b ? "record \(a) is" : "records \(a)…\(b) are" }
}
