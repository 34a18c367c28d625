// An audit checkpoint: the head of each tenant's chain at export time (and the exported
// segments with their SHA-256), optionally signed with Ed25519 (`sentinel audit export --key`).
// Kept outside the database, it lets `sentinel audit verify --checkpoint` detect what the chain
// alone cannot: a truncated tail, or a chain rewritten and re-hashed by someone with the file.
//
// The file is JSON:
//   {"format":"sentinel-audit-checkpoint","version":1,"created_at":"…Z",
//    "tenants":[{"tenant":…,"seq":N,"hash":"…","count":N}],
//    "segments":[{"file":…,"tenant":…,"first_seq":N,"last_seq":N,"records":N,"sha256":"…"}],
//    "key_id":"…","signature":"<base64>"}
// The signature covers `signedText`, one line per fact, strings JSON-quoted:
//   sentinel-audit-checkpoint 1
//   created_at <RFC 3339>
//   tenant <"tenant"> <seq> <hash> <count>              (per tenant, in file order)
//   segment <"file"> <"tenant"> <first> <last> <records> <sha256>   (per segment)

public import SentinelCrypto
public import SentinelModel

/// The heads of a database's audit chains at one moment, optionally signed.
public struct AuditCheckpoint: Sendable, Equatable {
  /// One tenant's chain head.
  public struct TenantHead: Sendable, Equatable {
    /// The tenant.
    public var tenant: String
    /// The last record's seq (0 for an empty chain).
    public var seq: Int64
    /// The last record's hash.
    public var hash: String
    /// Records in the database at that moment (informational; pruned ones are not counted).
    public var count: Int

    /// A head.
    public init(tenant: String, seq: Int64, hash: String, count: Int) {
      self.tenant = tenant
      self.seq = seq
      self.hash = hash
      self.count = count
    }
  }

  /// One exported JSONL segment.
  public struct Segment: Sendable, Equatable {
    /// The file name, relative to the checkpoint's folder.
    public var file: String
    /// The tenant whose records it holds.
    public var tenant: String
    /// The first and last seq it holds.
    public var firstSeq: Int64
    /// The last seq it holds.
    public var lastSeq: Int64
    /// How many records (lines) it holds.
    public var records: Int
    /// SHA-256 of the file (hex).
    public var sha256: String

    /// A segment.
    public init(file: String, tenant: String, firstSeq: Int64, lastSeq: Int64, records: Int, sha256: String) {
      self.file = file
      self.tenant = tenant
      self.firstSeq = firstSeq
      self.lastSeq = lastSeq
      self.records = records
      self.sha256 = sha256
    }
  }

  /// The value of `format`.
  public static let format = "sentinel-audit-checkpoint"
  /// When the checkpoint was taken.
  public var createdAt: Timestamp
  /// The chain heads.
  public var tenants: [TenantHead]
  /// The exported segments.
  public var segments: [Segment]
  /// The signer's key id (`Ed25519PublicKey.keyID`), when signed.
  public var keyID: String?
  /// The Ed25519 signature of `signedText`, when signed.
  public var signature: [UInt8]?

  /// An unsigned checkpoint.
  public init(createdAt: Timestamp, tenants: [TenantHead], segments: [Segment] = []) {
    self.createdAt = createdAt
    self.tenants = tenants
    self.segments = segments
  }

  /// The bytes the signature covers (layout at the top of this file).
  public var signedText: String {
    var out = "\(Self.format) 1\ncreated_at \(createdAt)\n"
    for t in tenants { out += "tenant \(JSONWriter.quote(t.tenant)) \(t.seq) \(t.hash) \(t.count)\n" }
    for s in segments {
      out +=
        "segment \(JSONWriter.quote(s.file)) \(JSONWriter.quote(s.tenant)) \(s.firstSeq) \(s.lastSeq) \(s.records) \(s.sha256)\n"
    }
    return out
  }

  /// This checkpoint signed with `key`.
  public func signed(with key: Ed25519PrivateKey) throws(CryptoError) -> AuditCheckpoint {
    var out = self
    out.signature = try key.sign(Array(signedText.utf8))
    out.keyID = key.publicKey.keyID
    return out
  }

  /// Whether the checkpoint carries a valid signature by `key`.
  public func isSigned(by key: Ed25519PublicKey) -> Bool {
    guard let signature else { return false }
    return key.isValidSignature(signature, for: Array(signedText.utf8))
  }

  /// The checkpoint file's JSON text.
  public var json: String {
    var out = "{\"format\":\(JSONWriter.quote(Self.format)),\"version\":1"
    out += ",\"created_at\":\(JSONWriter.quote(createdAt.description)),\"tenants\":["
    out += tenants.map {
      "{\"tenant\":\(JSONWriter.quote($0.tenant)),\"seq\":\($0.seq),\"hash\":\(JSONWriter.quote($0.hash)),\"count\":\($0.count)}"
    }.joined(separator: ",")
    out += "],\"segments\":["
    out += segments.map {
      "{\"file\":\(JSONWriter.quote($0.file)),\"tenant\":\(JSONWriter.quote($0.tenant)),\"first_seq\":\($0.firstSeq)"
        + ",\"last_seq\":\($0.lastSeq),\"records\":\($0.records),\"sha256\":\(JSONWriter.quote($0.sha256))}"
    }.joined(separator: ",")
    out += "]"
    if let keyID, let signature {
      out +=
        ",\"key_id\":\(JSONWriter.quote(keyID)),\"signature\":\(JSONWriter.quote(Base64.encode(signature)))"
    }
    return out + "}\n"
  }

  /// Parses a checkpoint file's text; throws `AuditCheckpointError` naming the bad field.
  public init(json text: String) throws(AuditCheckpointError) {
    let value: Value
    do { value = try JSONReader.parse(text) } catch {
      throw AuditCheckpointError("not JSON: \(error.description)")
    }
    guard case .map(let m) = value else { throw AuditCheckpointError("not a JSON object") }
    guard case .string(Self.format)? = m[string: "format"] else {
      throw AuditCheckpointError("`format` is not `\(Self.format)`")
    }
    guard case .int(1)? = m[string: "version"] else { throw AuditCheckpointError("`version` is not 1") }
    guard case .string(let created)? = m[string: "created_at"], let createdAt = Timestamp.parse(created)
    else {
      throw AuditCheckpointError("`created_at` is not an RFC 3339 time")
    }
    guard case .list(let tenantItems)? = m[string: "tenants"] else {
      throw AuditCheckpointError("`tenants` is not an array")
    }
    var tenants: [TenantHead] = []
    for (i, item) in tenantItems.enumerated() {
      let at = "tenants[\(i)]"
      guard case .map(let t) = item else { throw AuditCheckpointError("\(at) is not an object") }
      let hash = try Self.string(t, "hash", at)
      guard hash.utf8.count == 64, Hex.decode(hash) != nil else {
        throw AuditCheckpointError("\(at).hash is not 64 hex digits")
      }
      tenants.append(
        TenantHead(
          tenant: try Self.string(t, "tenant", at), seq: try Self.int(t, "seq", at), hash: hash,
          count: Int(try Self.int(t, "count", at))))
    }
    var segments: [Segment] = []
    if case .list(let items)? = m[string: "segments"] {
      for (i, item) in items.enumerated() {
        let at = "segments[\(i)]"
        guard case .map(let s) = item else { throw AuditCheckpointError("\(at) is not an object") }
        segments.append(
          Segment(
            file: try Self.string(s, "file", at), tenant: try Self.string(s, "tenant", at),
            firstSeq: try Self.int(s, "first_seq", at), lastSeq: try Self.int(s, "last_seq", at),
            records: Int(try Self.int(s, "records", at)), sha256: try Self.string(s, "sha256", at)))
      }
    }
    self.init(createdAt: createdAt, tenants: tenants, segments: segments)
    if case .string(let sig)? = m[string: "signature"] {
      guard let bytes = Base64.decode(sig), bytes.count == Ed25519PublicKey.signatureByteCount else {
        throw AuditCheckpointError("`signature` is not a base64 Ed25519 signature")
      }
      signature = bytes
      if case .string(let k)? = m[string: "key_id"] { keyID = k }
    }
  }

  private static func string(_ m: MapValue, _ key: String, _ at: String) throws(AuditCheckpointError)
    -> String
  {
    guard case .string(let s)? = m[string: key] else {
      throw AuditCheckpointError("\(at).\(key) is not a string")
    }
    return s
  }

  private static func int(_ m: MapValue, _ key: String, _ at: String) throws(AuditCheckpointError) -> Int64 {
    guard case .int(let n)? = m[string: key], n >= 0 else {
      throw AuditCheckpointError("\(at).\(key) is not a non-negative integer")
    }
    return n
  }
}

/// A checkpoint file that does not parse.
public struct AuditCheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong.
  public var description: String

  /// An error.
  public init(_ description: String) { self.description = description }
}
