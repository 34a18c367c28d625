// Bundles: encode → decode round trips, the loader's checks (digest, signature, verifier,
// consistency), every single-byte modification detected, truncation at every length, and
// fuzzing of both raw bytes and digest-resealed mutations. Nothing may trap.

import SentinelBuiltins
import SentinelBytecode
import SentinelCrypto
import SentinelModel
import SentinelRuntime
import SentinelVM
import SentinelVerifier
import Testing

/// Two rules over `event.amount`: "large" (amount > 100) and "always".
func sampleProgram(registers: Int = 4) -> Program {
  Program(
    constants: [.int(100), .bool(true)],
    variables: [VariableSlot(name: "event.amount", type: .int)],
    builtins: ["greater_int64"], registerCount: registers, ruleCount: 2,
    code: [
      .loadVar(0, 0), .loadConst(1, 0), .call(2, 0, 0, 2), Instruction(.ruleResult, 2, 0),
      .loadConst(3, 1), Instruction(.ruleResult, 3, 1), .ret(3),
    ],
    sourceMap: [SourceMapEntry(pc: 2, span: Span(0, 19))])
}

/// A schema using every encoding feature: optional, default, allowed values, required-for,
/// nested fields.
let sampleSchema = EventSchema(
  variable: "event",
  fields: [
    SchemaField(name: "event_id", type: .string),
    SchemaField(
      name: "type", type: .string, allowedValues: [.string("login"), .string("transaction")]),
    SchemaField(name: "amount", type: .int, optional: true, requiredForTypes: ["transaction"]),
    SchemaField(name: "success", type: .bool, optional: true, defaultValue: .bool(true)),
    SchemaField(
      name: "geo", type: .map(.string, .double), optional: true,
      fields: [SchemaField(name: "lat", type: .double), SchemaField(name: "lon", type: .double)]),
  ])

let sampleSource = "event.amount > 100\ntrue\n"

func sampleBundle(program: Program = sampleProgram()) -> Bundle {
  Bundle(
    compilerVersion: "sentinel 0.1.0-test", schema: sampleSchema, program: program,
    rules: [
      RuleEntry(
        id: "R1", name: "Large amount", category: "fraud", tags: ["amount", "tx"], outcome: .review,
        score: 40,
        reason: "amount above 100", file: 0, span: Span(0, 18)),
      RuleEntry(
        id: "R2", name: "Always", outcome: .score, score: -5, file: 0, span: Span(19, 23)),
    ],
    policy: DecisionPolicy(reviewThreshold: 70, blockThreshold: 150),
    sourceFiles: [SourceFile(name: "rules/é.rules", text: sampleSource)])
}

/// Fixed keys (RFC 8032 test keys 1 and 2), so failures reproduce byte for byte.
let keyA = fixedKey("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
let keyB = fixedKey("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")

private func fixedKey(_ hex: String) -> Ed25519PrivateKey {
  do {
    return try Ed25519PrivateKey(rawRepresentation: Hex.decode(hex) ?? [])
  } catch {
    fatalError("test key: \(error)")
  }
}

let testLoader = BundleLoader(catalog: Fixtures.catalog)

/// The error `load` throws, or nil (recording an issue) when it loads.
func loadError(
  _ bytes: [UInt8], _ loader: BundleLoader = testLoader, sourceLocation: SourceLocation = #_sourceLocation
) -> BundleLoadError? {
  do {
    _ = try loader.load(bytes)
    Issue.record("loaded, expected an error", sourceLocation: sourceLocation)
    return nil
  } catch {
    return error
  }
}

/// `b` encoded with a correct digest (and signature).
func encoded(_ b: Bundle, signedWith key: Ed25519PrivateKey? = nil) throws -> [UInt8] {
  try b.encoded(signedWith: key)
}

/// `bytes` with its content replaced and the digest recomputed (a consistent, unsigned bundle).
func reseal(_ content: [UInt8]) -> [UInt8] {
  BundleEncoder.seal(content: content, digest: SHA256.digest(content))
}

@Suite struct BundleTests {
  @Test func roundTrip() throws {
    let b = sampleBundle()
    let bytes = try encoded(b)
    let decoded = try BundleDecoder.decode(bytes)
    #expect(decoded.compilerVersion == b.compilerVersion)
    #expect(decoded.schema == b.schema)
    #expect(decoded.schema.canonicalText == b.schema.canonicalText)
    #expect(decoded.rules == b.rules)
    #expect(decoded.policy == b.policy)
    #expect(decoded.sourceFiles == b.sourceFiles)
    #expect(decoded.program.code == b.program.code)
    #expect(ProgramEncoder.encode(decoded.program) == ProgramEncoder.encode(b.program))
    #expect(BundleEncoder.encodeContent(decoded) == BundleEncoder.encodeContent(b))
    #expect(try encoded(decoded) == bytes, "encoding is deterministic")
    // The reference schema, and edge values of the policy and rules.
    var edge = b
    edge.schema = .reference
    edge.policy = DecisionPolicy(reviewThreshold: .min, blockThreshold: nil)
    edge.rules[0].score = .max
    edge.rules[1].tags = []
    edge.compilerVersion = ""
    let again = try BundleDecoder.decode(try encoded(edge))
    #expect(again.schema == .reference && again.policy == edge.policy && again.rules == edge.rules)
  }

  @Test func layout() throws {
    let b = sampleBundle()
    let bytes = try encoded(b)
    let content = BundleEncoder.encodeContent(b)
    #expect(Array(bytes.prefix(4)) == Array("SIQB".utf8))
    #expect(bytes[4] == 3 && bytes[5] == 0)
    #expect(bytes.count == content.count + BundleEncoder.trailerSize && BundleEncoder.trailerSize == 129)
    let parts = try BundleDecoder.split(bytes)
    #expect(Array(parts.content) == content)
    #expect(parts.digest == SHA256.digest(content))
    #expect(parts.signature == nil)
    #expect(b.contentDigest == Hex.encode(parts.digest))
    // Sections 1…9 in order; the program section holds exactly ProgramEncoder's bytes; no
    // aggregates: an empty aggregate table and no state program; no screening lists.
    var pos = BundleEncoder.headerSize
    var ids: [UInt8] = []
    var payloads: [[UInt8]] = []
    while pos < content.count {
      let length =
        Int(content[pos + 1]) | Int(content[pos + 2]) << 8 | Int(content[pos + 3]) << 16
        | Int(content[pos + 4]) << 24
      ids.append(content[pos])
      payloads.append(Array(content[(pos + 5)..<(pos + 5 + length)]))
      pos += 5 + length
    }
    #expect(ids == [1, 2, 3, 4, 5, 6, 7, 8, 9])
    #expect(payloads.count == 9 && payloads[5] == ProgramEncoder.encode(b.program))
    #expect(payloads.count == 9 && payloads[7] == [0])
    #expect(payloads.count == 9 && payloads[8] == [0, 0, 0, 0])
  }

  @Test func loadsAndRuns() throws {
    let loaded = try testLoader.load(try encoded(sampleBundle()))
    #expect(loaded.digest == sampleBundle().contentDigest)
    #expect(loaded.schemaHash == SHA256.hexDigest(utf8: sampleSchema.canonicalText))
    #expect(loaded.signedBy == nil && !loaded.signatureTrusted)
    #expect(loaded.bundle.rules.map(\.id) == ["R1", "R2"])
    var results: [Value] = []
    let vars = loaded.program.variables(from: ["event.amount": .int(250)])
    _ = VM().run(loaded.program, variables: vars, results: &results)
    #expect(results.map(render) == ["true", "true"])
  }

  @Test func signedBundles() throws {
    let signed = try encoded(sampleBundle(), signedWith: keyA)
    let trusting = BundleLoader(catalog: Fixtures.catalog, trustedKeys: [keyB.publicKey, keyA.publicKey])
    let loaded = try trusting.load(signed)
    #expect(loaded.signedBy == keyA.publicKey.keyID && loaded.signatureTrusted)
    // Signing an encoded bundle equals encoding it signed; re-signing replaces the signature.
    let unsigned = try encoded(sampleBundle())
    #expect(try BundleSigner.sign(encodedBundle: unsigned, key: keyA) == signed)
    let resigned = try BundleSigner.sign(encodedBundle: signed, key: keyB)
    #expect(try trusting.load(resigned).signedBy == keyB.publicKey.keyID)
    #expect(try BundleEncoder.removeSignature(from: signed) == unsigned)
    // The pure-bytes path the compiler uses.
    let digest = try BundleDecoder.split(unsigned).digest
    let manual = try BundleEncoder.appendSignature(
      to: unsigned, publicKey: keyA.publicKey.rawRepresentation,
      signature: keyA.sign(BundleEncoder.signingMessage(digest: digest)))
    #expect(manual == signed)
    // No trusted keys and no requirement: integrity is still checked, trust is not claimed.
    let open = try testLoader.load(signed)
    #expect(open.signedBy == keyA.publicKey.keyID && !open.signatureTrusted)
    // An unsigned bundle loads unless a signature is required.
    #expect(try trusting.load(unsigned).signedBy == nil)
  }

  @Test func signatureFailures() throws {
    let signed = try encoded(sampleBundle(), signedWith: keyA)
    let trusting = BundleLoader(catalog: Fixtures.catalog, trustedKeys: [keyA.publicKey])
    let strict = BundleLoader(
      catalog: Fixtures.catalog, trustedKeys: [keyA.publicKey], requireSignature: true)
    let signatureStart = signed.count - BundleEncoder.signatureSize
    // Every byte of the signature.
    for i in signatureStart..<signed.count {
      var bad = signed
      bad[i] ^= 0x20
      #expect(loadError(bad, trusting)?.kind == .badSignature, "signature byte \(i)")
      #expect(loadError(bad, testLoader)?.kind == .badSignature, "signature byte \(i), no trusted keys")
    }
    // Every byte of the public key: another key, not trusted.
    for i in (signatureStart - BundleEncoder.publicKeySize)..<signatureStart {
      var bad = signed
      bad[i] ^= 0x01
      let kind = loadError(bad, trusting)?.kind
      #expect(kind == .unknownKey, "key byte \(i)")
    }
    // Signed by another, valid key.
    let other = try encoded(sampleBundle(), signedWith: keyB)
    let e = loadError(other, trusting)
    #expect(e?.kind == .unknownKey)
    #expect(e?.message.contains(keyB.publicKey.keyID) == true)
    #expect(loadError(other, strict)?.kind == .unknownKey)
    #expect(
      loadError(signed, BundleLoader(catalog: Fixtures.catalog, requireSignature: true))?.kind == .unknownKey)
    // Stripped signature.
    let stripped = try BundleEncoder.removeSignature(from: signed)
    let u = loadError(stripped, strict)
    #expect(u?.kind == .unsigned)
    #expect(u?.message == "bundle is unsigned; this loader requires a signature by a trusted key")
    // A signature of the bare digest (no domain-separation context) is not a bundle signature.
    let parts = try BundleDecoder.split(signed)
    let bare = try BundleEncoder.appendSignature(
      to: signed, publicKey: keyA.publicKey.rawRepresentation, signature: keyA.sign(parts.digest))
    #expect(loadError(bare, trusting)?.kind == .badSignature)
    // Tampered content re-digested and re-signed by an untrusted key: refused for the key.
    var content = Array(parts.content)
    content[content.count - 3] ^= 1
    let forged = try BundleSigner.sign(encodedBundle: reseal(content), key: keyB)
    #expect(loadError(forged, strict)?.kind == .unknownKey)
  }

  @Test func trailerForm() throws {
    let signed = try encoded(sampleBundle(), signedWith: keyA)
    let schemeAt = signed.count - BundleEncoder.trailerSize + BundleEncoder.digestSize
    var unknown = signed
    unknown[schemeAt] = 7
    let e = loadError(unknown)
    #expect(e?.kind == .malformed && e?.offset == schemeAt)
    #expect(e?.message.contains("unknown signature scheme 7") == true)
    var halfUnsigned = signed
    halfUnsigned[schemeAt] = 0
    #expect(loadError(halfUnsigned)?.message.contains("non-zero byte in its signature block") == true)
  }

  /// Flipping any single byte anywhere is detected, and by the right check.
  @Test func everySingleByteFlipIsDetected() throws {
    let bytes = try encoded(sampleBundle())
    let contentEnd = bytes.count - BundleEncoder.trailerSize
    for i in bytes.indices {
      for mask: UInt8 in [0x01, 0x80] {
        var bad = bytes
        bad[i] ^= mask
        guard let e = loadError(bad) else { continue }
        switch i {
        case 0..<4: #expect(e.kind == .badMagic, "byte \(i)")
        case 4..<6: #expect(e.kind == .unsupportedVersion, "byte \(i)")
        case 6..<(contentEnd + BundleEncoder.digestSize):
          #expect(e.kind == .digestMismatch, "byte \(i)")
          #expect(e.message.hasPrefix("bundle digest mismatch: content was modified (expected "))
        default:
          // The scheme byte turned to 1 names an all-zero key, whose signature cannot verify.
          #expect(e.kind == .malformed || e.kind == .badSignature, "trailer byte \(i)")
        }
      }
    }
    var bad = bytes
    bad[10] ^= 1
    let recorded = Hex.encode(bytes[contentEnd..<(contentEnd + 32)])
    let found = SHA256.hexDigest(Array(bad[..<contentEnd]))
    #expect(
      loadError(bad)?.message
        == "bundle digest mismatch: content was modified (expected \(recorded), found \(found))")
  }

  @Test func verifierFailureIsReported() throws {
    var p = sampleProgram()
    p.code[3] = Instruction(.ruleResult, 9, 0)  // r9, with 4 registers
    let e = loadError(try encoded(sampleBundle(program: p)))
    #expect(e?.kind == .verificationFailed)
    #expect(e?.verificationError?.rule == .registerOutOfBounds)
    let verifierMessage = rejection(p).map { "\($0)" } ?? "?"
    #expect(verifierMessage.hasPrefix("pc 3 (rule): operand a:"))
    #expect(e?.message == "bundle program refused by the verifier: \(verifierMessage)")
    // The same refusal when the program bytes are patched inside a valid bundle and resealed.
    let good = try encoded(sampleBundle())
    var content = Array(try BundleDecoder.split(good).content)
    // The 9 bytes of `rule r2, 0` (opcode, then a, b, c, d little-endian): make it `rule r9, 0`.
    let instruction: [UInt8] = [Opcode.ruleResult.rawValue, 2, 0, 0, 0, 0, 0, 0, 0]
    let at = try #require(find(instruction, in: content))
    content[at + 1] = 9
    let patched = loadError(reseal(content))
    #expect(patched?.kind == .verificationFailed)
    #expect(patched?.verificationError?.rule == .registerOutOfBounds, "\(patched.map { "\($0)" } ?? "")")
    // The loader verifies against its own catalog: the standard one has no `greater_int64` rule
    // problems, a catalog without the builtin refuses it.
    let bare = BundleLoader(catalog: Catalog([]))
    #expect(loadError(good, bare)?.verificationError?.rule == .unknownBuiltin)
  }

  @Test func consistencyChecks() throws {
    var fewer = sampleBundle()
    fewer.rules.removeLast()
    let e = loadError(try encoded(fewer))
    #expect(e?.kind == .inconsistent)
    #expect(
      e?.message
        == "the rule table has 1 rules and 0 reason placeholders but the program writes 2 rule results")
    var duplicate = sampleBundle()
    duplicate.rules[1].id = "R1"
    #expect(loadError(try encoded(duplicate))?.message.contains("appears twice") == true)
    var badFile = sampleBundle()
    badFile.rules[1].file = 3
    #expect(loadError(try encoded(badFile))?.message.contains("names source file #3") == true)
    var badSpan = sampleBundle()
    badSpan.rules[1].span = Span(19, 400)
    #expect(loadError(try encoded(badSpan))?.message.contains("outside `rules/é.rules`") == true)
    var noSources = sampleBundle()
    noSources.sourceFiles = []  // stripped sources: spans stay, unchecked
    #expect((try? testLoader.load(try encoded(noSources))) != nil)
    var dupField = sampleBundle()
    dupField.schema.fields[4].fields.append(SchemaField(name: "lat", type: .int))
    #expect(loadError(try encoded(dupField))?.message == "schema field `event.geo.lat` is declared twice")
  }

  @Test func decoderErrorsArePrecise() throws {
    let content = BundleEncoder.encodeContent(sampleBundle())
    func error(_ bytes: [UInt8]) -> BytecodeError? {
      do {
        _ = try BundleDecoder.decodeContent(bytes[...])
        return nil
      } catch {
        return error
      }
    }
    // Unknown section id, out of order, trailing bytes.
    var unknown = content
    unknown[6] = 10
    #expect(error(unknown) == BytecodeError(offset: 6, "unknown section id 10"))
    var swapped = content
    swapped[6] = 2
    #expect(
      error(swapped)
        == BytecodeError(offset: 6, "section 2 (schema) out of order: expected section 1 (compiler version)"))
    #expect(error(content + [6]) == BytecodeError(offset: content.count, "1 bytes after the last section"))
    // A length that overruns: the compiler-version section claims more than there is.
    var long = content
    long[7] = 0xFF
    long[8] = 0xFF
    #expect(error(long)?.message.hasPrefix("section 1 (compiler version): length 65") == true)
    // A bad outcome byte, at its offset.
    let outcomeAt = try #require(find(Array("amount above 100".utf8), in: content)) - 4 - 8 - 1
    var outcome = content
    outcome[outcomeAt] = 4
    #expect(
      error(outcome)
        == BytecodeError(offset: outcomeAt, "section 4 (rule table): rule `R1`: unknown outcome 4"))
    // An error inside the program section names the bundle offset and the section.
    let programAt = try #require(find(ProgramEncoder.magic, in: content))
    var program = content
    program[programAt] = 0
    #expect(
      error(program)
        == BytecodeError(offset: programAt, "section 6 (program): bad magic: not a SentinelIQ program"))
  }

  @Test func truncationAtEveryLength() throws {
    let bytes = try encoded(sampleBundle(), signedWith: keyA)
    for n in 0..<bytes.count {
      let prefix = Array(bytes.prefix(n))
      guard let e = loadError(prefix) else { continue }
      #expect(!e.message.isEmpty)
      switch n {
      case 0..<4: #expect(e.kind == .badMagic, "length \(n)")
      case 4..<(BundleEncoder.headerSize + BundleEncoder.trailerSize):
        #expect(e.kind == .malformed, "length \(n)")
        #expect(e.message.contains("truncated"), "length \(n): \(e.message)")
      default: #expect(e.kind == .malformed || e.kind == .digestMismatch, "length \(n): \(e)")
      }
    }
    // The content decoder on every prefix of the content: an error at an offset inside it.
    let content = BundleEncoder.encodeContent(sampleBundle())
    for n in 0..<content.count {
      do {
        _ = try BundleDecoder.decodeContent(content[..<n])
        Issue.record("decoded a \(n)-byte prefix")
      } catch {
        #expect(error.offset >= 0 && error.offset <= n, "prefix \(n): \(error)")
      }
    }
  }

  @Test func randomBytesNeverTrap() {
    var rng = SplitMix64(seed: 0xB0_0D1E)
    var header = BundleEncoder.magic
    withUnsafeBytes(of: Bundle.formatVersion.littleEndian) { header += $0 }
    for i in 0..<3000 {
      let n = Int(rng.next() % 400)
      let body = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      _ = try? testLoader.load(i % 2 == 0 ? body : header + body)
      // Random content behind a valid header and digest reaches the section decoder.
      _ = try? testLoader.load(reseal(header + body))
      _ = try? BundleDecoder.decodeContent((header + body)[...])
    }
  }

  /// Mutations of a valid bundle's content, resealed with a correct digest, so that every one
  /// reaches the decoder (and, when it decodes, the verifier and the consistency checks).
  @Test func resealedMutationsNeverTrap() throws {
    var rng = SplitMix64(seed: 0x5EA1)
    let content = BundleEncoder.encodeContent(sampleBundle())
    var loaded = 0
    for _ in 0..<4000 {
      var m = content
      switch rng.next() % 4 {
      case 0:
        for _ in 0..<(1 + rng.next() % 3) {
          m[Int(rng.next() % UInt64(m.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
        }
      case 1:
        m[Int(rng.next() % UInt64(m.count))] = [0, 1, 0x7F, 0x80, 0xFF][Int(rng.next() % 5)]
      case 2:
        let at = Int(rng.next() % UInt64(m.count))
        m.removeSubrange(at..<min(m.count, at + 1 + Int(rng.next() % 8)))
      default:
        let at = Int(rng.next() % UInt64(m.count))
        m.insert(
          contentsOf: (0..<(1 + rng.next() % 8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
      }
      if let b = try? testLoader.load(reseal(m)) {
        loaded += 1
        _ = VM().run(b.program, variables: b.program.variables(from: ["event.amount": .int(1)]))
      }
    }
    // Some mutations only touch text (names, reasons, source) and still load.
    #expect(loaded > 0)
  }
}

/// The first index of `needle` in `haystack`.
func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
  guard !needle.isEmpty, needle.count <= haystack.count else { return nil }
  return (0...(haystack.count - needle.count)).first {
    haystack[$0..<($0 + needle.count)].elementsEqual(needle)
  }
}
