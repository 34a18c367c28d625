// The runtime's only way in for a bundle: bytes → `LoadedBundle`, or a `BundleLoadError` that
// says precisely why not. In order, and each before anything later is looked at:
//
//   1. header      magic "SIQB" and format version
//   2. trailer     the fixed-size trailer is well formed (BundleDecoder.split)
//   3. digest      SHA-256 of the content equals the recorded digest
//   4. signature   unsigned: refused under `requireSignature`; signed: the key must be trusted
//                  (when trusted keys are configured) and the signature must verify
//   5. decode      every section, count and length bounds-checked
//   6. verify      the program passes the Verifier against the catalog and limits
//   7. consistent  the rule table matches the program and the source files; the schema has no
//                  duplicate field names; a program that calls `screen` has screening lists;
//                  every variable is an event field, an aggregate reading or a run-time list's
//                  slot of exactly the list's type (the VM then never sees a slot of a wrong kind)
//   8. index       each screening list's index is built (SentinelScreening), so no decision pays
//                  for it; `screen` is verified and runs bound to the bundle's own lists. With
//                  `buildsScreeningIndexes` false the caller builds them (`screening.prepare()`,
//                  e.g. on another thread while it starts up); a `screen` call waits for its
//                  list's index until then
//
// A daemon swapping bundles keeps the old one whenever `load` throws.

import SentinelBuiltins
import SentinelBytecode
import SentinelCrypto
import SentinelModel
import SentinelScreening
import SentinelVerifier

/// Why a bundle was refused.
public struct BundleLoadError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The check a bundle failed. Raw values are stable identifiers (logs, metrics, API errors).
  public enum Kind: String, Sendable, Hashable, CaseIterable {
    /// The bytes do not start with the bundle magic "SIQB".
    case badMagic = "bad_magic"
    /// A bundle format version this build does not read.
    case unsupportedVersion = "unsupported_version"
    /// Structurally malformed: truncated, bad trailer, bad section, bad value encoding.
    case malformed = "malformed"
    /// The content's SHA-256 differs from the recorded digest: the content was modified.
    case digestMismatch = "digest_mismatch"
    /// Unsigned, but the loader requires a signature.
    case unsigned = "unsigned"
    /// Signed by a key that is not among the trusted keys.
    case unknownKey = "unknown_key"
    /// The signature does not verify under the key it names.
    case badSignature = "bad_signature"
    /// The program failed verification (`verificationError` says which rule).
    case verificationFailed = "verification_failed"
    /// The parts disagree: the rule table and the program, a rule and the source files, or the
    /// schema with itself.
    case inconsistent = "inconsistent"
  }

  /// The check that failed.
  public var kind: Kind
  /// One line naming what was wrong.
  public var message: String
  /// For `.malformed`, `.badMagic` and `.unsupportedVersion`: the byte offset at fault.
  public var offset: Int?
  /// For `.verificationFailed`: the verifier's error.
  public var verificationError: VerificationError?

  /// An error of `kind`.
  public init(
    _ kind: Kind, _ message: String, offset: Int? = nil, verificationError: VerificationError? = nil
  ) {
    self.kind = kind
    self.message = message
    self.offset = offset
    self.verificationError = verificationError
  }

  /// The message.
  public var description: String { message }
}

/// A bundle that passed every check of `BundleLoader.load`. Immutable; share it freely.
public struct LoadedBundle: Sendable {
  /// The decoded bundle. Its screening lists keep their names and thresholds but not their
  /// entries, which `screening` holds (`screening.byName[name]?.list`): a list is kept once.
  public let bundle: Bundle
  /// Its verified program: what the VM runs.
  public let program: VerifiedProgram
  /// Its verified state program (aggregate keys, filters and values), when it has aggregates.
  public let stateProgram: VerifiedProgram?
  /// The bundle's screening lists, indexed (what its `screen` calls read).
  public var screening: ScreeningLists = ScreeningLists()
  /// The content's SHA-256, 64 lowercase hex digits (as recorded in decisions).
  public let digest: String
  /// The signer's key id (`Ed25519PublicKey.keyID`), or nil for an unsigned bundle.
  public let signedBy: String?
  /// Whether the signer is one of the loader's trusted keys (false when unsigned, or signed but
  /// loaded by a loader that has no trusted keys and does not require a signature).
  public let signatureTrusted: Bool
  /// SHA-256 of the schema's canonical text, 64 hex digits (`Bundle.schemaHash`).
  public let schemaHash: String
  /// Size of the encoded bundle in bytes.
  public let byteCount: Int
}

/// Loads encoded bundles: checks integrity, authenticity and the program before anything runs.
public struct BundleLoader: Sendable {
  /// The catalog programs are verified against and will run with.
  public let catalog: Catalog
  /// The keys whose signatures are accepted.
  public let trustedKeys: [Ed25519PublicKey]
  /// Whether an unsigned bundle (or one not signed by a trusted key) is refused.
  public let requireSignature: Bool
  /// The limits programs are verified under.
  public let limits: Limits
  /// Whether `load` builds the screening lists' indexes before returning (step 8); false: the
  /// caller does (`LoadedBundle.screening.prepare()`), or the first `screen` of each list.
  public var buildsScreeningIndexes = true

  /// A loader.
  ///
  /// Signatures: an unsigned bundle loads unless `requireSignature`. A signed bundle must be
  /// signed by one of `trustedKeys`; when `trustedKeys` is empty and no signature is required,
  /// the signature is still checked against the key the bundle names (tampering is refused) and
  /// the result says `signatureTrusted == false`.
  public init(
    catalog: Catalog = Builtins.all, trustedKeys: [Ed25519PublicKey] = [], requireSignature: Bool = false,
    limits: Limits = .init()
  ) {
    self.catalog = catalog
    self.trustedKeys = trustedKeys
    self.requireSignature = requireSignature
    self.limits = limits
  }

  /// Checks and decodes `bytes`; see the file comment for the order of the checks.
  public func load(_ bytes: [UInt8]) throws(BundleLoadError) -> LoadedBundle {
    let parts = try split(bytes)
    let computed = SHA256.digest(parts.content)
    guard computed == parts.digest else {
      throw BundleLoadError(
        .digestMismatch,
        "bundle digest mismatch: content was modified (expected \(Hex.encode(parts.digest)),"
          + " found \(Hex.encode(computed)))")
    }
    let (signedBy, trusted) = try checkSignature(parts)
    let bundle: Bundle
    do {
      bundle = try BundleDecoder.decodeContent(parts.content)
    } catch {
      throw BundleLoadError(.malformed, "malformed bundle: \(error)", offset: error.offset)
    }
    // `screen` runs bound to this bundle's lists (indexes shared with earlier loads of the same lists).
    let screening = ScreeningLists(bundle.screeningLists.map(ScreeningListCache.handle))
    var catalog = self.catalog
    catalog.add(screening.overload)
    let verified: VerifiedProgram
    do {
      verified = try Verifier(catalog: catalog, limits: limits).verify(bundle.program)
    } catch {
      throw BundleLoadError(
        .verificationFailed, "bundle program refused by the verifier: \(error)", verificationError: error)
    }
    var verifiedState: VerifiedProgram?
    if let state = bundle.stateProgram {
      do {
        verifiedState = try Verifier(catalog: catalog, limits: limits).verify(state)
      } catch {
        throw BundleLoadError(
          .verificationFailed, "bundle state program refused by the verifier: \(error)",
          verificationError: error)
      }
    }
    try Self.checkConsistency(bundle)
    if buildsScreeningIndexes { screening.prepare() }
    // The lists' entries live in their handles (`screening`) from here on: one copy in memory.
    var kept = bundle
    for i in kept.screeningLists.indices { kept.screeningLists[i].entries = [] }
    var loaded = LoadedBundle(
      bundle: kept, program: verified, stateProgram: verifiedState, digest: Hex.encode(computed),
      signedBy: signedBy,
      signatureTrusted: trusted, schemaHash: bundle.schemaHash, byteCount: bytes.count)
    loaded.screening = screening
    return loaded
  }

  private func split(_ bytes: [UInt8]) throws(BundleLoadError) -> BundleParts {
    guard bytes.count >= 4, bytes[0..<4].elementsEqual(BundleEncoder.magic) else {
      throw BundleLoadError(.badMagic, "not a SentinelIQ bundle: it does not start with \"SIQB\"", offset: 0)
    }
    if bytes.count >= BundleEncoder.headerSize {
      let version = UInt16(bytes[4]) | UInt16(bytes[5]) << 8
      guard Bundle.readableVersions.contains(version) else {
        let readable = Bundle.readableVersions
        throw BundleLoadError(
          .unsupportedVersion,
          "unsupported bundle format version \(version) (this build reads \(readable.lowerBound) to"
            + " \(readable.upperBound))", offset: 4)
      }
    }
    do {
      return try BundleDecoder.split(bytes)
    } catch {
      throw BundleLoadError(.malformed, "malformed bundle: \(error)", offset: error.offset)
    }
  }

  /// The signer's key id and whether it is trusted.
  private func checkSignature(_ parts: BundleParts) throws(BundleLoadError) -> (String?, Bool) {
    guard let block = parts.signature else {
      if requireSignature {
        throw BundleLoadError(
          .unsigned, "bundle is unsigned; this loader requires a signature by a trusted key")
      }
      return (nil, false)
    }
    guard let key = try? Ed25519PublicKey(rawRepresentation: block.publicKey) else {
      throw BundleLoadError(.malformed, "malformed bundle: signature block has a bad public key")
    }
    // NOTE: the all-zero key encodes a point of small order; OpenSSL's Ed25519 verify accepts an
    // all-zero signature under it for about one message in eight (found when a format change
    // moved the digests `BundleTests.everySingleByteFlipIsDetected` flips). Other small-order
    // encodings deserve the same refusal, in SentinelCrypto.
    guard block.publicKey.contains(where: { $0 != 0 }) else {
      throw BundleLoadError(.malformed, "malformed bundle: signature block has a bad public key (all zeros)")
    }
    let trusted = trustedKeys.contains(key)
    if !trusted && (requireSignature || !trustedKeys.isEmpty) {
      throw BundleLoadError(
        .unknownKey,
        "bundle is signed by key \(key.keyID), which is not trusted"
          + (trustedKeys.isEmpty
            ? " (no trusted keys are configured)"
            : " (trusted: \(trustedKeys.map(\.keyID).joined(separator: ", ")))"))
    }
    guard key.isValidSignature(block.signature, for: BundleEncoder.signingMessage(digest: parts.digest))
    else {
      throw BundleLoadError(
        .badSignature,
        "bundle signature by key \(key.keyID) is invalid: the bundle or its signature was modified")
    }
    return (key.keyID, trusted)
  }

  /// The rule table against the program and the source files; the schema against itself.
  static func checkConsistency(_ b: Bundle) throws(BundleLoadError) {
    // One result per rule, then one per reason placeholder (`ReasonTemplate`).
    let placeholders = b.rules.reduce(0) { $0 + ReasonTemplate.placeholderCount($1.reason) }
    guard b.program.ruleCount == b.rules.count + placeholders else {
      throw BundleLoadError(
        .inconsistent,
        "the rule table has \(b.rules.count) rules and \(placeholders) reason placeholders but the program"
          + " writes \(b.program.ruleCount) rule results"
      )
    }
    var ids: [String: Int] = [:]
    for (i, r) in b.rules.enumerated() {
      if let first = ids[r.id] {
        throw BundleLoadError(.inconsistent, "rule id `\(r.id)` appears twice (rules #\(first) and #\(i))")
      }
      ids[r.id] = i
      // A bundle compiled with its sources stripped keeps the spans; there is nothing to check
      // them against (and nothing that could index a missing file).
      if b.sourceFiles.isEmpty { continue }
      guard r.file >= 0, r.file < b.sourceFiles.count else {
        throw BundleLoadError(
          .inconsistent,
          "rule `\(r.id)` names source file #\(r.file); the bundle has \(b.sourceFiles.count)")
      }
      let length = b.sourceFiles[r.file].text.utf8.count
      guard r.span.start >= 0, r.span.start <= r.span.end, r.span.end <= length else {
        throw BundleLoadError(
          .inconsistent,
          "rule `\(r.id)` has span \(r.span.start)..<\(r.span.end) outside `\(b.sourceFiles[r.file].name)`"
            + " (\(length) bytes)")
      }
    }
    try checkFields(b.schema.fields, path: b.schema.variable)
    try checkAggregates(b)
    let callsScreen = ([b.program] + (b.stateProgram.map { [$0] } ?? [])).contains {
      $0.builtins.contains(ScreeningFunction.overloadID)
    }
    if callsScreen && b.screeningLists.isEmpty {
      throw BundleLoadError(.inconsistent, "the program calls `screen` but the bundle has no screening list")
    }
  }

  /// The aggregate table against the state program, the rule reads and the main program's
  /// variables: every aggregate variable the program reads is one an aggregate exposes.
  private static func checkAggregates(_ b: Bundle) throws(BundleLoadError) {
    guard b.ruleReads.count == b.rules.count else {
      throw BundleLoadError(
        .inconsistent,
        "the aggregate reads list \(b.ruleReads.count) rules; the rule table has \(b.rules.count)")
    }
    // A demand names a filter of the state program (`3j + 1`; RuleCompiler+Demand.swift).
    guard b.aggregateDemands.isEmpty || b.aggregateDemands.count == b.aggregates.count else {
      throw BundleLoadError(
        .inconsistent, "\(b.aggregateDemands.count) aggregate demands for \(b.aggregates.count) aggregates")
    }
    for (i, d) in b.aggregateDemands.enumerated() where d >= 0 {
      guard d % 3 == 1, d < 3 * b.aggregates.count else {
        throw BundleLoadError(
          .inconsistent,
          "aggregate `\(b.aggregates[i].name)`'s demand is state result #\(d), not an aggregate's filter")
      }
    }
    var names: Set<String> = []
    for a in b.aggregates {
      guard names.insert(a.name).inserted else {
        throw BundleLoadError(.inconsistent, "aggregate `\(a.name)` is declared twice")
      }
    }
    switch (b.stateProgram, b.aggregates.isEmpty) {
    case (nil, true): break
    case (nil, false):
      throw BundleLoadError(
        .inconsistent, "the bundle has \(b.aggregates.count) aggregates but no state program")
    case (let p?, _):
      guard p.ruleCount == 3 * b.aggregates.count else {
        throw BundleLoadError(
          .inconsistent,
          "the state program writes \(p.ruleCount) results; \(b.aggregates.count) aggregates need"
            + " \(3 * b.aggregates.count)")
      }
    }
    let schemaSlots = Set(b.schema.slots.map(\.qualifiedName))
    var exposed: [String: CELType] = [:]
    for a in b.aggregates { for v in a.variables { exposed[v.name] = v.type } }
    // Run-time lists: their two slots (list and set) are filled by the runtime, with exactly
    // these types, before any event (BundleRuntimeList).
    var listSlots: [String: CELType] = [:]
    for l in b.runtimeLists {
      for (name, type) in [(l.listSlot, l.listType), (l.setSlot, l.setType)] {
        guard exposed[name] == nil, !schemaSlots.contains(name), listSlots[name] == nil else {
          throw BundleLoadError(
            .inconsistent, "run-time list `\(l.name)`'s slot `\(name)` is also an event field or an aggregate"
          )
        }
        listSlots[name] = type
      }
    }
    for v in b.program.variables where !schemaSlots.contains(v.name) {
      if let t = listSlots[v.name] {
        guard t == v.type else {
          throw BundleLoadError(
            .inconsistent, "the program reads `\(v.name)` as \(v.type); the run-time list gives \(t)")
        }
        continue
      }
      guard let t = exposed[v.name] else {
        throw BundleLoadError(
          .inconsistent,
          "the program reads `\(v.name)`, which is neither an event field, an aggregate nor a run-time list")
      }
      guard t == v.type || v.type == .dyn else {
        throw BundleLoadError(
          .inconsistent, "the program reads `\(v.name)` as \(v.type); the aggregate gives \(t)")
      }
    }
    if let p = b.stateProgram {
      // The state program shares the rule program's variable table (one slot layout) but runs
      // before any aggregate is read: it may only read event fields and run-time lists.
      for v in p.variables where !schemaSlots.contains(v.name) && exposed[v.name] == nil {
        guard let t = listSlots[v.name] else {
          throw BundleLoadError(
            .inconsistent,
            "the state program names `\(v.name)`, which is neither an event field, an aggregate nor a run-time list"
          )
        }
        guard t == v.type else {
          throw BundleLoadError(
            .inconsistent, "the state program reads `\(v.name)` as \(v.type); the run-time list gives \(t)")
        }
      }
      // Every variable operand (`load.var`, `has.var`, the fused calls), by the opcode table.
      for (pc, ins) in p.code.enumerated() {
        for (o, kind) in ins.opcode.info.operands.enumerated() where kind == .variable {
          let i = Int(ins.operand(o))
          guard i < p.variables.count,
            schemaSlots.contains(p.variables[i].name) || listSlots[p.variables[i].name] != nil
          else {
            throw BundleLoadError(
              .inconsistent,
              "the state program reads a variable that is neither an event field nor a run-time list (pc \(pc))"
            )
          }
        }
      }
    }
  }

  private static func checkFields(_ fields: [SchemaField], path: String) throws(BundleLoadError) {
    var seen: Set<String> = []
    for f in fields {
      guard seen.insert(f.name).inserted else {
        throw BundleLoadError(.inconsistent, "schema field `\(path).\(f.name)` is declared twice")
      }
      try checkFields(f.fields, path: path + "." + f.name)
    }
  }
}
