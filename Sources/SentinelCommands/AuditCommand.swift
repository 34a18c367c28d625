// `sentinel audit verify|export|prune`: the decision log's tamper-evident audit chain
// (SentinelState's AuditChain; docs/operations.md, "Audit chain").

import ArgumentParser
import Foundation
import SentinelCrypto
import SentinelModel
import SentinelState

/// The audit chain's commands.
public struct AuditCommand: ParsableCommand {
  /// The command group's name and help.
  public static let configuration = CommandConfiguration(
    commandName: "audit",
    abstract: "Verify, export and prune the decision log's tamper-evident audit chain.",
    discussion: """
      Every decision record stores the SHA-256 of the previous record of its tenant and its own
      hash over a canonical encoding (docs/operations.md, "Audit chain").
        sentinel audit verify --db state.db                       recompute every chain
        sentinel audit export --db state.db --out archive/ --key audit.key
        sentinel audit verify --db state.db --checkpoint archive/checkpoint.json --public-key audit.pub
        sentinel audit prune --db state.db --keep-days 90
      """,
    subcommands: [AuditVerifyCommand.self, AuditExportCommand.self, AuditPruneCommand.self])

  /// The command group.
  public init() {}
}

// MARK: - verify

/// `sentinel audit verify`.
public struct AuditVerifyCommand: ParsableCommand {
  /// The command's name and help.
  public static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Recompute the audit chain and report the first broken link.",
    discussion: """
      Walks each tenant's chain in seq order (from its retention anchor after a prune) and checks
      that the seqs follow each other, that each record links to the previous one's hash, and
      that each record's content still hashes to its stored hash. Prints `audit chain OK` with
      the counts, or the first broken link (tenant, seq, event id, what differs) and exits 1.

      With --checkpoint (a checkpoint.json written by `sentinel audit export`), also checks that
      each of its tenants' chains still reaches its last seq with the same hash: this detects a
      truncated tail and a chain rewritten and re-hashed, which the chain alone cannot. With
      --public-key, the checkpoint's Ed25519 signature must be valid for that key.

      Exit status: 0 intact, 1 broken (or a bad checkpoint or signature), 2 usage errors.
      """)

  @Option(help: ArgumentHelp("The state database.", valueName: "file.db"))
  var db: String

  @Option(help: "Verify only this tenant's chain.")
  var tenant: String?

  @Option(
    name: [.customLong("checkpoint"), .customLong("from-checkpoint")],
    help: ArgumentHelp("A checkpoint file written by `sentinel audit export`.", valueName: "file"))
  var checkpoint: String?

  @Option(
    help: ArgumentHelp(
      "The public key (PEM, from `sentinel keygen`) the checkpoint must be signed by.", valueName: "file.pub")
  )
  var publicKey: String?

  /// A command with every option at its default.
  public init() {}

  /// `--public-key` needs `--checkpoint`.
  public func validate() throws {
    if publicKey != nil && checkpoint == nil { throw ValidationError("--public-key needs --checkpoint") }
  }

  /// Verifies and prints the result.
  public func run() throws {
    let store = try openAuditStore(db, readOnly: true)
    defer { try? store.close() }
    var cp: AuditCheckpoint?
    if let checkpoint {
      let loaded = try loadCheckpoint(checkpoint)
      if let publicKey {
        let key = try loadPublicKey(publicKey)
        guard loaded.signature != nil else {
          printError("\(checkpoint): the checkpoint is not signed, but --public-key was given")
          throw ExitCode(1)
        }
        guard loaded.isSigned(by: key) else {
          printError(
            "\(checkpoint): the checkpoint's signature is not valid for key \(key.keyID)"
              + " (the checkpoint was altered, or signed by another key: \(loaded.keyID ?? "none"))")
          throw ExitCode(1)
        }
      } else if loaded.signature != nil {
        printError("note: the checkpoint's signature was not checked (give --public-key to check it)")
      }
      if let tenant, !loaded.tenants.contains(where: { $0.tenant == tenant }) {
        printError("\(checkpoint): the checkpoint has no head for tenant `\(tenant)`")
        throw ExitCode(1)
      }
      cp = loaded
    }
    let report: AuditReport
    do {
      report = try store.verifyAuditChain(tenant: tenant, checkpoint: cp)
    } catch {
      printError("\(db): \(error)")
      throw ExitCode(1)
    }
    if let broken = report.firstBreak {
      print("audit chain BROKEN: \(broken)")
      if !report.tenants.isEmpty {
        print("(verified before it: \(report.tenants.map { "`\($0.tenant)`" }.joined(separator: ", ")))")
      }
      throw ExitCode(1)
    }
    let n = report.tenants.count
    print(
      "audit chain OK: \(n) tenant\(n == 1 ? "" : "s"), \(report.records) record\(report.records == 1 ? "" : "s")"
    )
    for t in report.tenants {
      var line = "  \(t.tenant): \(t.records) record\(t.records == 1 ? "" : "s")"
      if let first = t.firstSeq { line += ", seq \(first)…\(t.headSeq)" }
      line += ", head \(t.headHash.prefix(16))…"
      if let a = t.anchor { line += "; anchored at seq \(a.seq) (\(a.pruned) pruned)" }
      if let c = t.checkpointSeq { line += "; matches the checkpoint at seq \(c)" }
      print(line)
    }
  }
}

// MARK: - export

/// `sentinel audit export`.
public struct AuditExportCommand: ParsableCommand {
  /// The command's name and help.
  public static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write the decision log as JSONL segments with a (signed) checkpoint.",
    discussion: """
      Verifies the chain (refusing to export a broken one), then writes to DIR:
        segment-NNNNNN.jsonl  one record per line: tenant, seq, event_id, action, score, rules,
                              event_time, bundle_digest, decided_at_ms, prev_hash, hash, line
                              (everything needed to recompute the hashes elsewhere)
        checkpoint.json       each tenant's head (last seq, last hash, record count), the time,
                              each segment's SHA-256; signed with Ed25519 when --key is given
      Keep the checkpoint somewhere the database's writers cannot change (object storage with
      retention lock, another host): `sentinel audit verify --checkpoint` then detects a
      truncated tail or a rewritten chain. Refuses to write into a DIR that already holds a
      checkpoint.json.
      """)

  @Option(help: ArgumentHelp("The state database.", valueName: "file.db"))
  var db: String

  @Option(help: ArgumentHelp("The folder to write (created when missing).", valueName: "dir"))
  var out: String

  @Option(
    help: ArgumentHelp(
      "Sign the checkpoint with this private key (from `sentinel keygen`).", valueName: "file.key"))
  var key: String?

  @Option(help: "Export only this tenant.")
  var tenant: String?

  @Option(help: "Records per segment file.")
  var segmentSize = 100_000

  /// A command with every option at its default.
  public init() {}

  /// Checks the segment size.
  public func validate() throws {
    guard segmentSize >= 1 else { throw ValidationError("--segment-size must be at least 1") }
  }

  /// Exports.
  public func run() throws {
    let signer: Ed25519PrivateKey?
    if let key {
      do {
        signer = try Ed25519PrivateKey(pemRepresentation: try String(contentsOfFile: key, encoding: .utf8))
      } catch {
        printError("\(key): \(error)")
        throw ExitCode(1)
      }
    } else {
      signer = nil
    }
    let store = try openAuditStore(db, readOnly: true)
    defer { try? store.close() }
    let fm = FileManager.default
    let checkpointPath = out + "/checkpoint.json"
    if fm.fileExists(atPath: checkpointPath) {
      printError("\(checkpointPath) already exists: export into a new folder")
      throw ExitCode(1)
    }
    do {
      try fm.createDirectory(atPath: out, withIntermediateDirectories: true)
    } catch {
      printError("cannot create \(out): \(error.localizedDescription)")
      throw ExitCode(1)
    }
    let heads: [AuditCheckpoint.TenantHead]
    let report: AuditReport
    do {
      // Heads first: the chain verified next reaches at least them.
      heads = try store.auditHeads(tenant: tenant)
      report = try store.verifyAuditChain(tenant: tenant)
    } catch {
      printError("\(db): \(error)")
      throw ExitCode(1)
    }
    if let broken = report.firstBreak {
      printError("refusing to export a broken audit chain: \(broken)")
      throw ExitCode(1)
    }
    var checkpoint = AuditCheckpoint(createdAt: AuditExportCommand.now(), tenants: heads)
    var records = 0
    do {
      for head in heads {
        var lines: [String] = []
        var first: Int64 = 0
        var last: Int64 = 0
        func flush() throws {
          guard !lines.isEmpty else { return }
          let name = String(format: "segment-%06d.jsonl", checkpoint.segments.count + 1)
          let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
          try Data(bytes).write(to: URL(fileURLWithPath: out + "/" + name))
          checkpoint.segments.append(
            .init(
              file: name, tenant: head.tenant, firstSeq: first, lastSeq: last, records: lines.count,
              sha256: SHA256.hexDigest(bytes)))
          records += lines.count
          lines.removeAll(keepingCapacity: true)
        }
        try store.forEachAuditEntry(tenant: head.tenant) { e in
          guard e.seq <= head.seq else { return false }
          if lines.isEmpty { first = e.seq }
          last = e.seq
          lines.append(Self.line(e))
          if lines.count >= segmentSize { try flush() }
          return true
        }
        try flush()
      }
      if let signer { checkpoint = try checkpoint.signed(with: signer) }
      try Data(checkpoint.json.utf8).write(to: URL(fileURLWithPath: checkpointPath))
    } catch {
      printError("export to \(out) failed: \(error)")
      throw ExitCode(1)
    }
    let signedBy = signer.map { "signed by key \($0.publicKey.keyID)" } ?? "unsigned"
    print(
      "exported \(records) record\(records == 1 ? "" : "s") of \(heads.count) tenant\(heads.count == 1 ? "" : "s") "
        + "in \(checkpoint.segments.count) segment\(checkpoint.segments.count == 1 ? "" : "s"); "
        + "checkpoint \(checkpointPath) (\(signedBy))")
  }

  /// One record as a JSONL line.
  static func line(_ e: AuditEntry) -> String {
    let r = e.record
    return
      "{\"tenant\":\(JSONWriter.quote(e.tenant)),\"seq\":\(e.seq),\"event_id\":\(JSONWriter.quote(r.eventID))"
      + ",\"action\":\(JSONWriter.quote(r.action)),\"score\":\(r.score),\"rules\":["
      + r.rules.map(JSONWriter.quote).joined(separator: ",") + "]"
      + ",\"event_time\":\(JSONWriter.quote(r.eventTime.description))"
      + ",\"bundle_digest\":\(JSONWriter.quote(r.bundleDigest)),\"decided_at_ms\":\(e.decidedAt)"
      + ",\"prev_hash\":\(JSONWriter.quote(e.prevHash)),\"hash\":\(JSONWriter.quote(e.hash))"
      + ",\"line\":\(JSONWriter.quote(r.line))}"
  }

  /// The wall clock (milliseconds precision).
  static func now() -> Timestamp {
    AuditChain.timestamp(millis: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
  }
}

// MARK: - prune

/// `sentinel audit prune`.
public struct AuditPruneCommand: ParsableCommand {
  /// The command's name and help.
  public static let configuration = CommandConfiguration(
    commandName: "prune",
    abstract: "Remove old decisions, keeping the audit chain verifiable.",
    discussion: """
      Removes, per tenant, the oldest decisions committed before the cutoff (--before TIME, or
      --keep-days N before now): the longest prefix of the chain whose records are all older.
      The last removed record's seq and hash become the tenant's retention anchor, where
      `sentinel audit verify` starts. Each removed event id is kept with its decision line (in
      the table pruned_event), so the same event id sent again is still answered with its
      original decision and changes no state.

      Refuses to prune a chain that does not verify (that would erase the evidence). Export a
      signed checkpoint first (`sentinel audit export`) if records are to be archived: a
      checkpoint older than the anchor can no longer be checked.
      """)

  @Option(help: ArgumentHelp("The state database.", valueName: "file.db"))
  var db: String

  @Option(help: ArgumentHelp("Remove decisions committed before this RFC 3339 time.", valueName: "time"))
  var before: String?

  @Option(help: ArgumentHelp("Keep the decisions of the last N days (N ≥ 0).", valueName: "n"))
  var keepDays: Int?

  @Option(help: "Prune only this tenant.")
  var tenant: String?

  /// A command with every option at its default.
  public init() {}

  /// Exactly one of --before and --keep-days.
  public func validate() throws {
    switch (before, keepDays) {
    case (nil, nil): throw ValidationError("give --before TIME or --keep-days N")
    case (.some, .some): throw ValidationError("give either --before or --keep-days, not both")
    case (.some(let t), nil):
      guard Timestamp.parse(t) != nil else {
        throw ValidationError("--before `\(t)` is not an RFC 3339 time (for example 2026-01-01T00:00:00Z)")
      }
    case (nil, .some(let n)):
      guard n >= 0 && n <= 100_000 else { throw ValidationError("--keep-days must be between 0 and 100000") }
    }
  }

  /// Prunes and prints what was removed.
  public func run() throws {
    let cutoff: Int64
    if let before, let t = Timestamp.parse(before) {
      cutoff = AuditChain.millis(t)
    } else {
      cutoff = AuditChain.millis(AuditExportCommand.now()) - Int64(keepDays ?? 0) * 86_400_000
    }
    let store = try openAuditStore(db, readOnly: false)
    defer { try? store.close() }
    let results: [AuditPruneResult]
    do {
      results = try store.pruneAudit(before: cutoff, tenant: tenant)
    } catch {
      printError("\(db): \(error)")
      throw ExitCode(1)
    }
    let cut = AuditChain.timestamp(millis: cutoff)
    if results.isEmpty { print("nothing to prune: no decision committed before \(cut)") }
    for r in results {
      print(
        "\(r.tenant): removed \(r.removed) record\(r.removed == 1 ? "" : "s") committed before \(cut), kept \(r.kept); "
          + "anchor seq \(r.anchor.seq), hash \(r.anchor.hash.prefix(16))… (\(r.anchor.pruned) pruned in all)"
      )
    }
  }
}

// MARK: - Helpers

/// Opens a state database for the audit commands, or prints why not and exits 1.
func openAuditStore(_ path: String, readOnly: Bool) throws -> SQLiteStateStore {
  guard FileManager.default.fileExists(atPath: path) else {
    printError("\(path): no such state database")
    throw ExitCode(1)
  }
  do {
    return try SQLiteStateStore(path: path, readOnly: readOnly)
  } catch {
    printError("\(error)")
    if readOnly, case StateStoreError.notAStateDatabase(_, let reason) = error, reason.contains("incomplete")
    {
      printError(
        "(a database written before the audit chain is upgraded, and its records chained, when opened read-write, e.g. by `sentinel serve` or `sentinel audit prune`)"
      )
    }
    throw ExitCode(1)
  }
}

/// Reads a checkpoint file, or prints why not and exits 1.
func loadCheckpoint(_ path: String) throws -> AuditCheckpoint {
  do {
    return try AuditCheckpoint(json: try String(contentsOfFile: path, encoding: .utf8))
  } catch let e as AuditCheckpointError {
    printError("\(path): not an audit checkpoint: \(e)")
    throw ExitCode(1)
  } catch {
    printError("cannot read \(path): \(error.localizedDescription)")
    throw ExitCode(1)
  }
}

/// Reads a PEM public key, or prints why not and exits 1.
func loadPublicKey(_ path: String) throws -> Ed25519PublicKey {
  do {
    return try Ed25519PublicKey(pemRepresentation: try String(contentsOfFile: path, encoding: .utf8))
  } catch {
    printError("\(path): \(error)")
    throw ExitCode(1)
  }
}
