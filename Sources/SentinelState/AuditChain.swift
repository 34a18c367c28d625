// The tamper-evident audit chain over the decision log (docs/operations.md, "Audit chain").
//
// Every decision record of a tenant stores `prev_hash` (the previous record's `hash`; 64 zero
// hex digits for the tenant's first record) and `hash` = SHA-256 of this canonical encoding,
// all integers big-endian, every string as a u32 byte count and its UTF-8 bytes:
//
//   "SIQ-AUDIT-1"                       11 bytes: domain and version of the encoding
//   tenant        string
//   seq           i64                   the record's sequence number (commit order, per tenant)
//   event_id      string
//   line          string                the decision line exactly as stored
//   action        string
//   score         i64
//   rules         u32 count, then each rule id as a string (the matched rules, in order)
//   event time    i64 seconds since 1970, u32 nanoseconds
//   bundle digest string
//   decided_at    i64                   commit time, milliseconds since 1970 (UTC)
//   prev_hash     32 bytes              the previous record's hash (raw, not hex)
//
// Hashes are stored as 64 lowercase hex digits. The chain is per tenant, in `seq` order; the
// store caches each tenant's head (last seq, hash, decided_at) so a commit reads nothing.

import GRDB
import SentinelCrypto
public import SentinelModel

// MARK: - Records

/// One decision record with its place in the audit chain.
public struct AuditEntry: Sendable, Equatable {
  /// The tenant whose chain holds the record.
  public var tenant: String
  /// The sequence number (commit order, per tenant, from 1, without gaps).
  public var seq: Int64
  /// The decision.
  public var record: DecisionRecord
  /// Commit time: milliseconds since 1970 (UTC).
  public var decidedAt: Int64
  /// The previous record's hash (`AuditChain.genesis` for the first record).
  public var prevHash: String
  /// SHA-256 of the record's canonical encoding (64 lowercase hex digits).
  public var hash: String

  /// A chained record.
  public init(
    tenant: String, seq: Int64, record: DecisionRecord, decidedAt: Int64, prevHash: String, hash: String
  ) {
    self.tenant = tenant
    self.seq = seq
    self.record = record
    self.decidedAt = decidedAt
    self.prevHash = prevHash
    self.hash = hash
  }

  /// The hash this record's content gives (compare with `hash`); nil when `prevHash` is not 64
  /// hex digits.
  public var computedHash: String? {
    AuditChain.hash(tenant: tenant, seq: seq, record: record, decidedAt: decidedAt, prevHash: prevHash)
  }

  /// The commit time as a timestamp.
  public var decidedAtTime: Timestamp { AuditChain.timestamp(millis: decidedAt) }
}

/// The last record of a tenant's chain (or of its pruned prefix): where the next one links.
struct AuditHead: Sendable, Equatable {
  var seq: Int64
  var hash: String
  var decidedAt: Int64
  /// `hash`'s 32 bytes when the head was made by `link` (nil when read from the database): the
  /// next link then needs no hex decoding. Not part of equality: it only repeats `hash`.
  var rawHash: [UInt8]? = nil

  static let empty = AuditHead(seq: 0, hash: AuditChain.genesis, decidedAt: 0)

  static func == (a: AuditHead, b: AuditHead) -> Bool {
    a.seq == b.seq && a.hash == b.hash && a.decidedAt == b.decidedAt
  }
}

/// What retention left of a tenant's chain: the last pruned record.
public struct AuditAnchor: Sendable, Equatable {
  /// The tenant.
  public var tenant: String
  /// The sequence number of the last pruned record: the chain continues at `seq + 1`.
  public var seq: Int64
  /// The hash of the last pruned record: the next record's `prev_hash`.
  public var hash: String
  /// The commit time of the last pruned record (milliseconds since 1970).
  public var decidedAt: Int64
  /// How many records have been pruned in all.
  public var pruned: Int64
  /// When the last prune ran (milliseconds since 1970).
  public var prunedAt: Int64

  /// An anchor.
  public init(tenant: String, seq: Int64, hash: String, decidedAt: Int64, pruned: Int64, prunedAt: Int64) {
    self.tenant = tenant
    self.seq = seq
    self.hash = hash
    self.decidedAt = decidedAt
    self.pruned = pruned
    self.prunedAt = prunedAt
  }
}

// MARK: - Hashing

/// The audit chain's encoding and hash (the layout is at the top of this file).
public enum AuditChain {
  /// The `prev_hash` of a tenant's first record: 64 zero hex digits.
  public static let genesis = String(repeating: "0", count: 64)
  /// The encoding's leading bytes (domain separation and version).
  static let domain = Array("SIQ-AUDIT-1".utf8)

  /// The hash of one record linked after `prevHash` (64 hex digits), or nil when `prevHash` is
  /// not 64 hex digits.
  public static func hash(
    tenant: String, seq: Int64, record: DecisionRecord, decidedAt: Int64, prevHash: String
  ) -> String? {
    guard let prev = rawHash(prevHash) else { return nil }
    return Hex.encode(digest(tenant: tenant, seq: seq, record: record, decidedAt: decidedAt, prevHash: prev))
  }

  /// The 32 bytes of a stored hash (64 hex digits), or nil when it is not one.
  static func rawHash(_ hex: String) -> [UInt8]? {
    guard hex.utf8.count == 2 * SHA256.byteCount else { return nil }
    return Hex.decode(hex)
  }

  /// The SHA-256 of one record's canonical encoding linked after `prevHash` (32 raw bytes).
  static func digest(
    tenant: String, seq: Int64, record: DecisionRecord, decidedAt: Int64, prevHash: [UInt8]
  ) -> [UInt8] {
    SHA256.digest(encode(tenant: tenant, seq: seq, record: record, decidedAt: decidedAt, prevHash: prevHash))
  }

  /// The canonical encoding of one record (what `hash` digests).
  // PERF: written into storage of the exact size, strings copied as UTF-8 spans; the
  // `Array.append(contentsOf:)` form was ~0.5 µs of the daemon's commit thread per decision
  // (docs/performance.md, "The commit thread's Swift work").
  public static func encode(
    tenant: String, seq: Int64, record: DecisionRecord, decidedAt: Int64, prevHash: [UInt8]
  ) -> [UInt8] {
    // Fixed parts: domain, seq, score, rule count, event time (8 + 4), decided_at, prev_hash.
    var size = domain.count + 8 + 8 + 4 + 8 + 4 + 8 + prevHash.count
    size += 4 + tenant.utf8.count + 4 + record.eventID.utf8.count + 4 + record.line.utf8.count
    size += 4 + record.action.utf8.count + 4 + record.bundleDigest.utf8.count
    for r in record.rules { size += 4 + r.utf8.count }
    return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
      var w = EncodingWriter(buffer: buffer)
      w.bytes(domain)
      w.string(tenant)
      w.int(seq)
      w.string(record.eventID)
      w.string(record.line)
      w.string(record.action)
      w.int(Int64(record.score))
      w.uint32(UInt32(truncatingIfNeeded: record.rules.count))
      for r in record.rules { w.string(r) }
      w.int(record.eventTime.seconds)
      w.uint32(UInt32(truncatingIfNeeded: record.eventTime.nanos))
      w.string(record.bundleDigest)
      w.int(decidedAt)
      w.bytes(prevHash)
      precondition(w.offset == size, "INVARIANT: the audit encoding's size is computed from the same fields")
      count = w.offset
    }
  }

  /// Milliseconds since 1970 as a timestamp.
  public static func timestamp(millis: Int64) -> Timestamp {
    let (s, ms) = millis.quotientAndRemainder(dividingBy: 1000)
    return ms < 0
      ? Timestamp(seconds: s - 1, nanos: Int32(ms + 1000) * 1_000_000)
      : Timestamp(seconds: s, nanos: Int32(ms) * 1_000_000)
  }

  /// Timestamp as milliseconds since 1970 (truncated).
  public static func millis(_ t: Timestamp) -> Int64 { t.seconds * 1000 + Int64(t.nanos / 1_000_000) }

  // MARK: - Schema

  /// Migration `v2_audit_chain`: adds the chain columns, the anchor and pruned-id tables, and
  /// chains the records already stored, per tenant in `seq` order. Their commit time is unknown:
  /// it is taken to be the event time.
  static func migrate(_ db: Database) throws {
    try db.execute(
      sql: """
        ALTER TABLE decision ADD COLUMN decided_at INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE decision ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
        ALTER TABLE decision ADD COLUMN hash TEXT NOT NULL DEFAULT '';
        CREATE TABLE audit_anchor (
          tenant TEXT PRIMARY KEY NOT NULL,
          seq INTEGER NOT NULL,
          hash TEXT NOT NULL,
          decided_at INTEGER NOT NULL,
          pruned INTEGER NOT NULL,
          pruned_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE pruned_event (
          tenant TEXT NOT NULL,
          event_id TEXT NOT NULL,
          line TEXT NOT NULL,
          PRIMARY KEY (tenant, event_id)
        ) WITHOUT ROWID;
        """)
    let tenants = try String.fetchAll(db, sql: "SELECT DISTINCT tenant FROM decision ORDER BY tenant")
    let update = try db.makeStatement(
      sql: "UPDATE decision SET decided_at = ?, prev_hash = ?, hash = ? WHERE tenant = ? AND event_id = ?")
    for tenant in tenants {
      var prev = genesis
      let rows = try Row.fetchCursor(
        db,
        sql: """
          SELECT seq, event_id, line, action, score, rules, event_seconds, event_nanos, bundle_digest
          FROM decision WHERE tenant = ? ORDER BY seq
          """, arguments: [tenant])
      // Collected first: updating rows while a cursor reads the same table is not allowed.
      var links: [(String, Int64, String, String)] = []
      while let row = try rows.next() {
        let record = try AuditRows.record(row, tenant: tenant, path: "(migration v2_audit_chain)")
        let decidedAt = millis(record.eventTime)
        let seq: Int64 = row["seq"]
        guard let h = hash(tenant: tenant, seq: seq, record: record, decidedAt: decidedAt, prevHash: prev)
        else { preconditionFailure("INVARIANT: prev is a computed hash") }
        links.append((record.eventID, decidedAt, prev, h))
        prev = h
      }
      for (id, decidedAt, p, h) in links { try update.execute(arguments: [decidedAt, p, h, tenant, id]) }
    }
  }

  /// The head of `tenant`'s chain as stored: its last record, else its anchor, else empty.
  static func loadHead(_ db: Database, tenant: String) throws -> AuditHead {
    let last = try db.cachedStatement(
      sql: "SELECT seq, hash, decided_at FROM decision WHERE tenant = ? ORDER BY seq DESC LIMIT 1")
    var head = AuditHead.empty
    if let row = try Row.fetchOne(last, arguments: [tenant]) {
      head = AuditHead(seq: row["seq"], hash: row["hash"], decidedAt: row["decided_at"])
    }
    let anchor = try db.cachedStatement(
      sql: "SELECT seq, hash, decided_at FROM audit_anchor WHERE tenant = ?")
    if let row = try Row.fetchOne(anchor, arguments: [tenant]), (row["seq"] as Int64) > head.seq {
      head = AuditHead(seq: row["seq"], hash: row["hash"], decidedAt: row["decided_at"])
    }
    return head
  }
}

/// Writes the audit encoding's fields into storage of the exact size (`AuditChain.encode`).
private struct EncodingWriter {
  let buffer: UnsafeMutableBufferPointer<UInt8>
  var offset = 0

  mutating func bytes(_ b: [UInt8]) {
    b.withUnsafeBufferPointer { src in
      _ = UnsafeMutableBufferPointer(rebasing: buffer[offset..<offset + src.count]).initialize(from: src)
    }
    offset += b.count
  }

  mutating func string(_ s: String) {
    var s = s
    s.withUTF8 { utf8 in
      uint32(UInt32(truncatingIfNeeded: utf8.count))
      _ = UnsafeMutableBufferPointer(rebasing: buffer[offset..<offset + utf8.count]).initialize(from: utf8)
      offset += utf8.count
    }
  }

  mutating func int(_ v: Int64) {
    let u = UInt64(bitPattern: v)
    for shift in stride(from: 56, through: 0, by: -8) {
      buffer[offset] = UInt8(truncatingIfNeeded: u >> UInt64(shift))
      offset += 1
    }
  }

  mutating func uint32(_ v: UInt32) {
    for shift in stride(from: 24, through: 0, by: -8) {
      buffer[offset] = UInt8(truncatingIfNeeded: v >> UInt32(shift))
      offset += 1
    }
  }
}

// MARK: - Reading rows

/// Decoding decision rows (shared by the store, the migration and verification).
enum AuditRows {
  /// The columns `record` and `entry` read.
  static let columns =
    "seq, event_id, line, action, score, rules, event_seconds, event_nanos, bundle_digest, decided_at, prev_hash, hash"

  /// The decision of a row; throws `StateStoreError.corruptDecision` for one that does not decode.
  static func record(_ row: Row, tenant: String, path: String) throws -> DecisionRecord {
    let eventID: String = row["event_id"]
    func corrupt(_ reason: String) -> StateStoreError {
      .corruptDecision(path: path, tenant: tenant, eventID: eventID, reason: reason)
    }
    let seconds: Int64 = row["event_seconds"]
    let nanos: Int64 = row["event_nanos"]
    guard nanos >= 0 && nanos < 1_000_000_000 else {
      throw corrupt("event nanoseconds \(nanos) out of range")
    }
    let rulesText: String = row["rules"]
    let parsed: Value
    do { parsed = try JSONReader.parse(rulesText) } catch { throw corrupt("rules: \(error.description)") }
    guard case .list(let items) = parsed else { throw corrupt("rules is not a JSON array") }
    var rules: [String] = []
    for item in items {
      guard case .string(let r) = item else { throw corrupt("rules holds a non-string") }
      rules.append(r)
    }
    return DecisionRecord(
      eventID: eventID, line: row["line"], action: row["action"], score: row["score"], rules: rules,
      eventTime: Timestamp(seconds: seconds, nanos: Int32(nanos)), bundleDigest: row["bundle_digest"])
  }

  /// The chained record of a row selected with `columns`.
  static func entry(_ row: Row, tenant: String, path: String) throws -> AuditEntry {
    AuditEntry(
      tenant: tenant, seq: row["seq"], record: try record(row, tenant: tenant, path: path),
      decidedAt: row["decided_at"], prevHash: row["prev_hash"], hash: row["hash"])
  }
}
