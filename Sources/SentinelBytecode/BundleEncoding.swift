// The binary encoding of a `Bundle` (docs/bytecode.md, "Bundles"):
//
//   content   magic "SIQB" · format version u16 · ten sections, in this order, each
//             id u8 · payload length u32 · payload:
//               1 compiler version   2 event schema   3 decision policy
//               4 rule table         5 source files   6 program (ProgramEncoder bytes)
//               7 aggregates (and which rules read them)   8 state program (optional)
//               9 screening lists (name, threshold, entries with their names)
//               10 run-time lists (name, element type, default entries) — format 4; a
//                  format 3 bundle ends after section 9 and has none
//   trailer   (fixed 129 bytes, always last)
//             SHA-256 of the content (32) · signature scheme u8 (0 none, 1 Ed25519) ·
//             public key (32) · signature (64) — key and signature all zero when unsigned
//
// The trailer has a fixed size so that `BundleDecoder.split` finds the content and digest
// without reading any content field: a loader checks the digest (and signature) before it
// decodes anything. This file does no cryptography (SentinelBytecode has no crypto): callers
// pass the SHA-256 function in and compute signatures with SentinelCrypto over
// `BundleEncoder.signingMessage(digest:)`.

import SentinelModel

/// The sections of a bundle's content, in the only order they may appear.
public enum BundleSection: UInt8, Sendable, CaseIterable {
  case compilerVersion = 1
  case schema = 2
  case policy = 3
  case rules = 4
  case sourceFiles = 5
  case program = 6
  case aggregates = 7
  case stateProgram = 8
  case screeningLists = 9
  case runtimeLists = 10

  /// The sections a bundle of format `version` has, in order.
  public static func sections(version: UInt16) -> [BundleSection] {
    version >= 4 ? allCases : allCases.filter { $0 != .runtimeLists }
  }

  /// The section's name in error messages and docs.
  public var name: String {
    switch self {
    case .compilerVersion: return "compiler version"
    case .schema: return "schema"
    case .policy: return "policy"
    case .rules: return "rule table"
    case .sourceFiles: return "source files"
    case .program: return "program"
    case .aggregates: return "aggregates"
    case .stateProgram: return "state program"
    case .screeningLists: return "screening lists"
    case .runtimeLists: return "run-time lists"
    }
  }
}

/// The signature block of an encoded bundle.
public struct BundleSignature: Sendable, Hashable {
  /// Signature scheme byte of an Ed25519 signature.
  public static let ed25519: UInt8 = 1
  /// The signer's raw 32-byte Ed25519 public key.
  public var publicKey: [UInt8]
  /// The 64-byte Ed25519 signature of `BundleEncoder.signingMessage(digest:)`.
  public var signature: [UInt8]

  /// A signature block.
  public init(publicKey: [UInt8], signature: [UInt8]) {
    self.publicKey = publicKey
    self.signature = signature
  }
}

/// An encoded bundle cut into its parts, with nothing decoded yet.
public struct BundleParts: Sendable {
  /// Everything the digest covers: header and sections (indices are offsets in the bundle).
  public var content: ArraySlice<UInt8>
  /// The SHA-256 digest the bundle records for `content` (32 bytes).
  public var digest: [UInt8]
  /// The signature block, when the bundle is signed.
  public var signature: BundleSignature?
}

/// Writes bundles as bytes.
public enum BundleEncoder {
  /// Magic bytes at the start of an encoded bundle: "SIQB".
  public static let magic: [UInt8] = [0x53, 0x49, 0x51, 0x42]
  /// Length of the header: magic and format version.
  public static let headerSize = 6
  /// Length of a digest.
  public static let digestSize = 32
  /// Length of an Ed25519 public key and of a signature.
  public static let publicKeySize = 32
  public static let signatureSize = 64
  /// Length of the trailer: digest, scheme byte, public key, signature.
  public static let trailerSize = digestSize + 1 + publicKeySize + signatureSize
  /// What signatures sign, before the digest: domain separation, so that a bundle signature
  /// can never be replayed as a signature of anything else made with the same key.
  public static let signatureContext: [UInt8] = Array("SentinelIQ bundle signature v1\n".utf8)

  /// The content bytes of `b`: header and sections, without the trailer.
  public static func encodeContent(_ b: Bundle) -> [UInt8] {
    var w = ByteWriter()
    w.bytes(magic)
    w.u16(b.encodedVersion)
    section(.compilerVersion, &w) { $0.string(b.compilerVersion) }
    section(.schema, &w) { w in
      w.string(b.schema.variable)
      fields(b.schema.fields, &w)
    }
    section(.policy, &w) { w in
      w.u64(UInt64(bitPattern: Int64(b.policy.reviewThreshold)))
      if let block = b.policy.blockThreshold {
        w.u8(1)
        w.u64(UInt64(bitPattern: Int64(block)))
      } else {
        w.u8(0)
      }
    }
    section(.rules, &w) { w in
      w.u32(UInt32(clamping: b.rules.count))
      for r in b.rules {
        w.string(r.id)
        w.string(r.name)
        w.string(r.category)
        w.u32(UInt32(clamping: r.tags.count))
        for t in r.tags { w.string(t) }
        w.u8(r.outcome.rawValue)
        w.u64(UInt64(bitPattern: Int64(r.score)))
        w.string(r.reason)
        w.u32(UInt32(clamping: r.file))
        w.u32(UInt32(clamping: r.span.start))
        w.u32(UInt32(clamping: r.span.end))
      }
    }
    section(.sourceFiles, &w) { w in
      w.u32(UInt32(clamping: b.sourceFiles.count))
      for f in b.sourceFiles {
        w.string(f.name)
        w.string(f.text)
      }
    }
    section(.program, &w) { $0.bytes(ProgramEncoder.encode(b.program)) }
    section(.aggregates, &w) { w in
      w.u32(UInt32(clamping: b.aggregates.count))
      for a in b.aggregates {
        w.string(a.name)
        w.u8(AggregateKind.allCases.firstIndex(of: a.kind).map(UInt8.init) ?? 0)
        if let n = a.windowNanos {
          w.u8(1)
          w.u64(UInt64(bitPattern: n))
        } else {
          w.u8(0)
        }
        w.u8(a.includeCurrent ? 1 : 0)
        if let t = a.valueType {
          w.u8(1)
          w.type(t)
        } else {
          w.u8(0)
        }
      }
      w.u32(UInt32(clamping: b.ruleReads.count))
      for reads in b.ruleReads {
        w.u32(UInt32(clamping: reads.count))
        for i in reads { w.u32(UInt32(clamping: i)) }
      }
      // Format 5: the demands (none: 0xFFFF_FFFF).
      if b.encodedVersion >= 5 {
        w.u32(UInt32(clamping: b.aggregateDemands.count))
        for d in b.aggregateDemands { w.u32(d < 0 ? UInt32.max : UInt32(clamping: d)) }
      }
    }
    section(.stateProgram, &w) { w in
      if let p = b.stateProgram {
        w.u8(1)
        w.bytes(ProgramEncoder.encode(p))
      } else {
        w.u8(0)
      }
    }
    section(.screeningLists, &w) { w in
      w.u32(UInt32(clamping: b.screeningLists.count))
      for l in b.screeningLists {
        w.string(l.name)
        w.f64(l.threshold)
        w.u32(UInt32(clamping: l.entries.count))
        for e in l.entries {
          w.i64(Int64(e.id))
          w.string(e.type)
          w.u32(UInt32(clamping: e.names.count))
          for n in e.names {
            w.u8(n.kind.rawValue)
            w.string(n.text)
          }
        }
      }
    }
    if b.encodedVersion >= 4 { runtimeListSection(b, &w) }
    return w.out
  }

  /// Section 10 (format 4).
  private static func runtimeListSection(_ b: Bundle, _ w: inout ByteWriter) {
    section(.runtimeLists, &w) { w in
      w.u32(UInt32(clamping: b.runtimeLists.count))
      for l in b.runtimeLists {
        w.string(l.name)
        w.type(l.elementType)
        w.u32(UInt32(clamping: l.entries.count))
        for v in l.entries { w.value(v) }
      }
    }
  }

  /// The complete, unsigned bundle: content and a trailer holding `sha256(content)`.
  /// Pass SentinelCrypto's digest: `BundleEncoder.encode(bundle, sha256: SHA256.digest)`.
  public static func encode(_ b: Bundle, sha256: (ArraySlice<UInt8>) -> [UInt8]) -> [UInt8] {
    let content = encodeContent(b)
    return seal(content: content, digest: sha256(content[...]))
  }

  /// `content` followed by a trailer recording `digest` (which must be the SHA-256 of exactly
  /// `content`) and, when given, a signature block. Fields of the wrong length are stored
  /// zero-padded or cut (and then fail the loader's checks); `appendSignature` checks them.
  public static func seal(content: [UInt8], digest: [UInt8], signature: BundleSignature? = nil) -> [UInt8] {
    var out = content
    out.reserveCapacity(content.count + trailerSize)
    out += fixed(digest, digestSize)
    if let signature {
      out.append(BundleSignature.ed25519)
      out += fixed(signature.publicKey, publicKeySize)
      out += fixed(signature.signature, signatureSize)
    } else {
      out.append(0)
      out += [UInt8](repeating: 0, count: publicKeySize + signatureSize)
    }
    return out
  }

  /// The message a bundle signature signs: `signatureContext` followed by the content digest.
  public static func signingMessage(digest: [UInt8]) -> [UInt8] { signatureContext + digest }

  /// `bundle` with its signature block set (added, or replacing an existing signature): the
  /// content and digest are unchanged. Compute `signature` as
  /// `key.sign(BundleEncoder.signingMessage(digest: BundleDecoder.split(bundle).digest))`.
  public static func appendSignature(
    to bundle: [UInt8], publicKey: [UInt8], signature: [UInt8]
  ) throws(BytecodeError) -> [UInt8] {
    let parts = try BundleDecoder.split(bundle)
    guard publicKey.count == publicKeySize else {
      throw BytecodeError(offset: 0, "a public key is \(publicKeySize) bytes, not \(publicKey.count)")
    }
    guard signature.count == signatureSize else {
      throw BytecodeError(offset: 0, "a signature is \(signatureSize) bytes, not \(signature.count)")
    }
    return seal(
      content: Array(parts.content), digest: parts.digest,
      signature: BundleSignature(publicKey: publicKey, signature: signature))
  }

  /// `bundle` with its signature block cleared (an unsigned bundle with the same content).
  public static func removeSignature(from bundle: [UInt8]) throws(BytecodeError) -> [UInt8] {
    let parts = try BundleDecoder.split(bundle)
    return seal(content: Array(parts.content), digest: parts.digest)
  }

  private static func fixed(_ bytes: [UInt8], _ n: Int) -> [UInt8] {
    Array(bytes.prefix(n)) + [UInt8](repeating: 0, count: max(0, n - bytes.count))
  }

  private static func section(_ s: BundleSection, _ w: inout ByteWriter, _ body: (inout ByteWriter) -> Void) {
    var payload = ByteWriter()
    body(&payload)
    w.u8(s.rawValue)
    w.u32(UInt32(clamping: payload.out.count))
    w.bytes(payload.out)
  }

  /// Flag bits of a schema field.
  fileprivate enum FieldFlag {
    static let optional: UInt8 = 1
    static let defaultValue: UInt8 = 2
    static let allowedValues: UInt8 = 4
    static let requiredFor: UInt8 = 8
    static let all: UInt8 = 15
  }

  private static func fields(_ fs: [SchemaField], _ w: inout ByteWriter) {
    w.u32(UInt32(clamping: fs.count))
    for f in fs {
      w.string(f.name)
      w.type(f.type)
      var flags: UInt8 = f.optional ? FieldFlag.optional : 0
      if f.defaultValue != nil { flags |= FieldFlag.defaultValue }
      if f.allowedValues != nil { flags |= FieldFlag.allowedValues }
      if f.requiredForTypes != nil { flags |= FieldFlag.requiredFor }
      w.u8(flags)
      if let d = f.defaultValue { w.value(d) }
      if let a = f.allowedValues {
        w.u32(UInt32(clamping: a.count))
        for v in a { w.value(v) }
      }
      if let r = f.requiredForTypes {
        w.u32(UInt32(clamping: r.count))
        for t in r { w.string(t) }
      }
      fields(f.fields, &w)
    }
  }
}

/// Reads bundles from bytes. Every count and length is bounds-checked; malformed input gives a
/// `BytecodeError` naming the byte offset (in the whole bundle) and what was wrong, never a trap.
public enum BundleDecoder {
  /// The content, recorded digest and signature block of `bytes`, checking only the header
  /// (magic, version), the length, and the trailer's form. Nothing in the content is read, so
  /// the digest can be checked before any decoding.
  public static func split(_ bytes: [UInt8]) throws(BytecodeError) -> BundleParts {
    try checkHeader(bytes)
    let minimum = BundleEncoder.headerSize + BundleEncoder.trailerSize
    guard bytes.count >= minimum else {
      throw BytecodeError(
        offset: bytes.count,
        "bundle truncated: \(bytes.count) bytes, less than the \(minimum) of a header and trailer")
    }
    let contentEnd = bytes.count - BundleEncoder.trailerSize
    let schemeAt = contentEnd + BundleEncoder.digestSize
    let keyAt = schemeAt + 1
    let signatureAt = keyAt + BundleEncoder.publicKeySize
    let digest = Array(bytes[contentEnd..<schemeAt])
    let key = Array(bytes[keyAt..<signatureAt])
    let signature = Array(bytes[signatureAt...])
    switch bytes[schemeAt] {
    case 0:
      if let i = bytes[keyAt...].firstIndex(where: { $0 != 0 }) {
        throw BytecodeError(offset: i, "unsigned bundle has a non-zero byte in its signature block")
      }
      return BundleParts(content: bytes[..<contentEnd], digest: digest, signature: nil)
    case BundleSignature.ed25519:
      return BundleParts(
        content: bytes[..<contentEnd], digest: digest,
        signature: BundleSignature(publicKey: key, signature: signature))
    case let scheme:
      throw BytecodeError(offset: schemeAt, "unknown signature scheme \(scheme) (1 = Ed25519, 0 = unsigned)")
    }
  }

  /// Checks magic and format version.
  public static func checkHeader(_ bytes: [UInt8]) throws(BytecodeError) {
    guard bytes.count >= 4, bytes[0..<4].elementsEqual(BundleEncoder.magic) else {
      throw BytecodeError(offset: 0, "bad magic: not a SentinelIQ bundle")
    }
    guard bytes.count >= BundleEncoder.headerSize else {
      throw BytecodeError(offset: 4, "bundle truncated in its format version")
    }
    let version = UInt16(bytes[4]) | UInt16(bytes[5]) << 8
    guard Bundle.readableVersions.contains(version) else {
      let readable = Bundle.readableVersions
      throw BytecodeError(
        offset: 4,
        "unsupported bundle format version \(version) (this build reads \(readable.lowerBound) to \(readable.upperBound))"
      )
    }
  }

  /// Decodes a complete bundle (content and trailer). Checks the trailer's form but not the
  /// digest or signature: that needs crypto, and is the loader's job.
  public static func decode(_ bytes: [UInt8]) throws(BytecodeError) -> Bundle {
    try decodeContent(split(bytes).content)
  }

  /// Decodes the content part of a bundle (as `BundleParts.content`: slice indices are offsets
  /// in the bundle, and errors name them).
  public static func decodeContent(_ content: ArraySlice<UInt8>) throws(BytecodeError) -> Bundle {
    let bytes = Array(content)
    let base = content.startIndex
    try checkHeader(bytes)
    var pos = BundleEncoder.headerSize
    var payloads: [ArraySlice<UInt8>] = []
    // INVARIANT: checkHeader read the version.
    let version = UInt16(bytes[4]) | UInt16(bytes[5]) << 8
    let sections = BundleSection.sections(version: version)
    for expected in sections {
      guard pos < bytes.count else {
        throw BytecodeError(
          offset: base + pos, "missing section \(expected.rawValue) (\(expected.name)): content ends here")
      }
      let id = bytes[pos]
      // A section of a later format is as unknown as any other id.
      guard let found = BundleSection(rawValue: id), sections.contains(found) else {
        throw BytecodeError(offset: base + pos, "unknown section id \(id)")
      }
      guard found == expected else {
        throw BytecodeError(
          offset: base + pos,
          "section \(id) (\(found.name)) out of order: expected section \(expected.rawValue) (\(expected.name))"
        )
      }
      guard bytes.count - pos >= 5 else {
        throw BytecodeError(offset: base + pos + 1, "section \(id) (\(found.name)): truncated length")
      }
      let length =
        Int(bytes[pos + 1]) | Int(bytes[pos + 2]) << 8 | Int(bytes[pos + 3]) << 16
        | Int(bytes[pos + 4]) << 24
      let start = pos + 5
      guard length <= bytes.count - start else {
        throw BytecodeError(
          offset: base + pos + 1,
          "section \(id) (\(found.name)): length \(length) exceeds the \(bytes.count - start) bytes left")
      }
      payloads.append(bytes[start..<start + length])
      pos = start + length
    }
    guard pos == bytes.count else {
      throw BytecodeError(offset: base + pos, "\(bytes.count - pos) bytes after the last section")
    }
    // INVARIANT: one payload per section, in `BundleSection.allCases` order.
    let compilerVersion = try parse(.compilerVersion, payloads[0], base) { r throws(BytecodeError) in
      try r.string()
    }
    let schema = try parse(.schema, payloads[1], base) { r throws(BytecodeError) in
      EventSchema(variable: try r.string(), fields: try fields(&r, depth: 0))
    }
    let policy = try parse(.policy, payloads[2], base) { r throws(BytecodeError) in try decodePolicy(&r) }
    let rules = try parse(.rules, payloads[3], base) { r throws(BytecodeError) in try decodeRules(&r) }
    let sourceFiles = try parse(.sourceFiles, payloads[4], base) { r throws(BytecodeError) in
      var out: [SourceFile] = []
      for _ in 0..<(try r.count("source file")) {
        out.append(SourceFile(name: try r.string(), text: try r.string()))
      }
      return out
    }
    let programStart = base + payloads[5].startIndex
    let program: Program
    do {
      program = try ProgramDecoder.decode(Array(payloads[5]))
    } catch {
      throw BytecodeError(offset: programStart + error.offset, "section 6 (program): \(error.message)")
    }
    let (aggregates, ruleReads, demands) = try parse(.aggregates, payloads[6], base) {
      r throws(BytecodeError) in try decodeAggregates(&r, version: version)
    }
    var stateProgram: Program?
    let statePayload = payloads[7]
    guard let flag = statePayload.first else {
      throw BytecodeError(offset: base + statePayload.startIndex, "section 8 (state program): empty payload")
    }
    switch flag {
    case 0:
      guard statePayload.count == 1 else {
        throw BytecodeError(
          offset: base + statePayload.startIndex + 1,
          "section 8 (state program): \(statePayload.count - 1) unread bytes at its end")
      }
    case 1:
      do {
        stateProgram = try ProgramDecoder.decode(Array(statePayload.dropFirst()))
      } catch {
        throw BytecodeError(
          offset: base + statePayload.startIndex + 1 + error.offset,
          "section 8 (state program): \(error.message)")
      }
    default:
      throw BytecodeError(
        offset: base + statePayload.startIndex, "section 8 (state program): bad presence flag \(flag)")
    }
    var bundle = Bundle(
      compilerVersion: compilerVersion, schema: schema, program: program, rules: rules, policy: policy,
      sourceFiles: sourceFiles, aggregates: aggregates, stateProgram: stateProgram, ruleReads: ruleReads)
    bundle.aggregateDemands = demands
    bundle.screeningLists = try parse(.screeningLists, payloads[8], base) { r throws(BytecodeError) in
      try decodeScreeningLists(&r)
    }
    if payloads.count > 9 {
      bundle.runtimeLists = try parse(.runtimeLists, payloads[9], base) { r throws(BytecodeError) in
        try decodeRuntimeLists(&r)
      }
    }
    return bundle
  }

  /// Section 10. Names are unique, element types are those a run-time list may have, and every
  /// entry is of its list's element type.
  private static func decodeRuntimeLists(_ r: inout ByteReader) throws(BytecodeError) -> [BundleRuntimeList] {
    var out: [BundleRuntimeList] = []
    var names: Set<String> = []
    for _ in 0..<(try r.count("run-time list")) {
      let nameAt = r.pos
      let name = try r.string()
      guard names.insert(name).inserted else {
        throw BytecodeError(offset: nameAt, "run-time list `\(name)` appears twice")
      }
      let typeAt = r.pos
      let type = try r.type()
      guard BundleRuntimeList.elementTypes.contains(type) else {
        throw BytecodeError(
          offset: typeAt, "run-time list `\(name)`: element type \(type) is not string, int or uint")
      }
      var entries: [Value] = []
      for _ in 0..<(try r.count("run-time list entry")) {
        let valueAt = r.pos
        let v = try r.value()
        guard v.celType == type else {
          throw BytecodeError(
            offset: valueAt, "run-time list `\(name)`: entry \(v) is a \(v.typeName), not a \(type)")
        }
        entries.append(v)
      }
      out.append(BundleRuntimeList(name: name, elementType: type, entries: entries))
    }
    return out
  }

  /// Section 9. Names are unique, thresholds in [0, 1], entry ids unique within a list, every
  /// entry has a name, kinds are known: what the runtime's index builder relies on.
  private static func decodeScreeningLists(_ r: inout ByteReader) throws(BytecodeError)
    -> [BundleScreeningList]
  {
    var out: [BundleScreeningList] = []
    var names: Set<String> = []
    for _ in 0..<(try r.count("screening list")) {
      let nameAt = r.pos
      let name = try r.string()
      guard names.insert(name).inserted else {
        throw BytecodeError(offset: nameAt, "screening list `\(name)` appears twice")
      }
      let thresholdAt = r.pos
      let threshold = try r.f64()
      guard threshold >= 0, threshold <= 1 else {
        throw BytecodeError(
          offset: thresholdAt, "screening list `\(name)`: threshold \(threshold) is not in [0, 1]")
      }
      var entries: [BundleScreeningList.Entry] = []
      var ids: Set<Int> = []
      for _ in 0..<(try r.count("screening list entry")) {
        let idAt = r.pos
        let id = Int(try r.i64())
        guard ids.insert(id).inserted else {
          throw BytecodeError(offset: idAt, "screening list `\(name)`: entry id \(id) appears twice")
        }
        let type = try r.string()
        var entryNames: [BundleScreeningList.Name] = []
        let countAt = r.pos
        for _ in 0..<(try r.count("entry name")) {
          let kindAt = r.pos
          let raw = try r.u8()
          guard let kind = BundleScreeningList.NameKind(rawValue: raw) else {
            throw BytecodeError(
              offset: kindAt, "screening list `\(name)`: entry \(id): unknown name kind \(raw)")
          }
          entryNames.append(BundleScreeningList.Name(try r.string(), kind: kind))
        }
        guard !entryNames.isEmpty else {
          throw BytecodeError(offset: countAt, "screening list `\(name)`: entry \(id) has no name")
        }
        entries.append(BundleScreeningList.Entry(id: id, type: type, names: entryNames))
      }
      out.append(BundleScreeningList(name: name, threshold: threshold, entries: entries))
    }
    return out
  }

  private static func decodeAggregates(
    _ r: inout ByteReader, version: UInt16
  ) throws(BytecodeError) -> ([AggregateSpec], [[Int]], [Int]) {
    var out: [AggregateSpec] = []
    for _ in 0..<(try r.count("aggregate")) {
      let name = try r.string()
      let kindAt = r.pos
      let k = Int(try r.u8())
      guard k < AggregateKind.allCases.count else {
        throw BytecodeError(offset: kindAt, "aggregate `\(name)`: unknown kind \(k)")
      }
      var window: Int64?
      let windowAt = r.pos
      switch try r.u8() {
      case 0: break
      case 1:
        let n = Int64(bitPattern: try r.u64())
        guard n > 0 else {
          throw BytecodeError(offset: windowAt + 1, "aggregate `\(name)`: window \(n) ns is not positive")
        }
        window = n
      case let f: throw BytecodeError(offset: windowAt, "aggregate `\(name)`: bad window flag \(f)")
      }
      let includeAt = r.pos
      let include = try r.u8()
      guard include <= 1 else {
        throw BytecodeError(offset: includeAt, "aggregate `\(name)`: bad include flag \(include)")
      }
      var valueType: CELType?
      let typeAt = r.pos
      switch try r.u8() {
      case 0: break
      case 1: valueType = try r.type(depth: 0)
      case let f: throw BytecodeError(offset: typeAt, "aggregate `\(name)`: bad value-type flag \(f)")
      }
      out.append(
        AggregateSpec(
          name: name, kind: AggregateKind.allCases[k], windowNanos: window, includeCurrent: include == 1,
          valueType: valueType))
    }
    var reads: [[Int]] = []
    for _ in 0..<(try r.count("rule read list")) {
      var xs: [Int] = []
      for _ in 0..<(try r.count("aggregate read")) {
        let at = r.pos
        let i = Int(try r.u32())
        guard i < out.count else {
          throw BytecodeError(offset: at, "aggregate read #\(i) is out of bounds (\(out.count) aggregates)")
        }
        xs.append(i)
      }
      reads.append(xs)
    }
    var demands: [Int] = []
    if version >= 5 {
      let countAt = r.pos
      let n = try r.count("aggregate demand")
      guard n == out.count else {
        throw BytecodeError(offset: countAt, "\(n) aggregate demands for \(out.count) aggregates")
      }
      for _ in 0..<n {
        let at = r.pos
        let d = try r.u32()
        // The state program has 3 results per aggregate (checked when it is loaded).
        guard d == UInt32.max || Int(d) < 3 * out.count else {
          throw BytecodeError(
            offset: at, "aggregate demand result #\(d) is out of bounds (\(3 * out.count) state results)")
        }
        demands.append(d == UInt32.max ? -1 : Int(d))
      }
    }
    return (out, reads, demands)
  }

  /// Parses one section's payload with `body`, which must consume it exactly; errors are
  /// rebased to offsets in the bundle and name the section.
  private static func parse<T>(
    _ s: BundleSection, _ payload: ArraySlice<UInt8>, _ base: Int,
    _ body: (inout ByteReader) throws(BytecodeError) -> T
  ) throws(BytecodeError) -> T {
    let start = base + payload.startIndex
    let label = "section \(s.rawValue) (\(s.name))"
    var r = ByteReader(Array(payload))
    let value: T
    do {
      value = try body(&r)
    } catch {
      throw BytecodeError(offset: start + error.offset, "\(label): \(error.message)")
    }
    guard r.pos == payload.count else {
      throw BytecodeError(offset: start + r.pos, "\(label): \(payload.count - r.pos) unread bytes at its end")
    }
    return value
  }

  private static func decodePolicy(_ r: inout ByteReader) throws(BytecodeError) -> DecisionPolicy {
    let review = Int(Int64(bitPattern: try r.u64()))
    let at = r.pos
    switch try r.u8() {
    case 0: return DecisionPolicy(reviewThreshold: review, blockThreshold: nil)
    case 1:
      return DecisionPolicy(reviewThreshold: review, blockThreshold: Int(Int64(bitPattern: try r.u64())))
    case let flag: throw BytecodeError(offset: at, "bad block-threshold flag \(flag)")
    }
  }

  private static func decodeRules(_ r: inout ByteReader) throws(BytecodeError) -> [RuleEntry] {
    var rules: [RuleEntry] = []
    for _ in 0..<(try r.count("rule")) {
      let id = try r.string()
      let name = try r.string()
      let category = try r.string()
      var tags: [String] = []
      for _ in 0..<(try r.count("tag")) { tags.append(try r.string()) }
      let outcomeAt = r.pos
      let raw = try r.u8()
      guard let outcome = RuleOutcome(rawValue: raw) else {
        throw BytecodeError(offset: outcomeAt, "rule `\(id)`: unknown outcome \(raw)")
      }
      let score = Int(Int64(bitPattern: try r.u64()))
      let reason = try r.string()
      let file = Int(try r.u32())
      let spanAt = r.pos
      let start = Int(try r.u32())
      let end = Int(try r.u32())
      guard start <= end else {
        throw BytecodeError(offset: spanAt, "rule `\(id)`: inverted span \(start)..<\(end)")
      }
      rules.append(
        RuleEntry(
          id: id, name: name, category: category, tags: tags, outcome: outcome, score: score, reason: reason,
          file: file, span: Span(start, end)))
    }
    return rules
  }

  private static func fields(_ r: inout ByteReader, depth: Int) throws(BytecodeError) -> [SchemaField] {
    guard depth < ProgramDecoder.maxDepth else {
      throw BytecodeError(offset: r.pos, "schema fields nested too deeply")
    }
    typealias Flag = BundleEncoder.FieldFlag
    var out: [SchemaField] = []
    for _ in 0..<(try r.count("schema field")) {
      let name = try r.string()
      let type = try r.type(depth: 0)
      let flagsAt = r.pos
      let flags = try r.u8()
      guard flags & ~Flag.all == 0 else {
        throw BytecodeError(offset: flagsAt, "field `\(name)`: unknown flag bits in \(flags)")
      }
      var f = SchemaField(name: name, type: type, optional: flags & Flag.optional != 0)
      if flags & Flag.defaultValue != 0 { f.defaultValue = try r.value(depth: 0) }
      if flags & Flag.allowedValues != 0 {
        var values: [Value] = []
        for _ in 0..<(try r.count("allowed value")) { values.append(try r.value(depth: 0)) }
        f.allowedValues = values
      }
      if flags & Flag.requiredFor != 0 {
        var types: [String] = []
        for _ in 0..<(try r.count("required-for type")) { types.append(try r.string()) }
        f.requiredForTypes = types
      }
      f.fields = try fields(&r, depth: depth + 1)
      out.append(f)
    }
    return out
  }
}
