// Digests and signatures of bundles, for code that has SentinelCrypto and the runtime (tools,
// the daemon, tests). The compiler side, which must not import the runtime, does the same in
// three lines with SentinelBytecode and SentinelCrypto:
//
//   let bytes = BundleEncoder.encode(bundle, sha256: SHA256.digest)
//   let digest = try BundleDecoder.split(bytes).digest
//   let signed = try BundleEncoder.appendSignature(
//     to: bytes, publicKey: key.publicKey.rawRepresentation,
//     signature: key.sign(BundleEncoder.signingMessage(digest: digest)))

import SentinelBytecode
import SentinelCrypto
import SentinelModel

extension Bundle {
  /// SHA-256 of the schema's canonical text, 64 lowercase hex digits: equal schemas, equal hash.
  public var schemaHash: String { SHA256.hexDigest(utf8: schema.canonicalText) }

  /// SHA-256 of the encoded content, 64 lowercase hex digits: the digest the encoded bundle
  /// records and `LoadedBundle.digest` reports.
  public var contentDigest: String { Hex.encode(SHA256.digest(BundleEncoder.encodeContent(self))) }

  /// The encoded bundle, signed with `key` when one is given.
  public func encoded(signedWith key: Ed25519PrivateKey? = nil) throws(CryptoError) -> [UInt8] {
    let content = BundleEncoder.encodeContent(self)
    let digest = SHA256.digest(content)
    guard let key else { return BundleEncoder.seal(content: content, digest: digest) }
    let signature = try key.sign(BundleEncoder.signingMessage(digest: digest))
    return BundleEncoder.seal(
      content: content, digest: digest,
      signature: BundleSignature(publicKey: key.publicKey.rawRepresentation, signature: signature))
  }
}

/// Why `BundleSigner.sign` could not sign.
public enum BundleSigningError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The bytes are not a well-formed bundle (bad header or trailer).
  case malformedBundle(BytecodeError)
  /// Signing failed.
  case crypto(CryptoError)

  /// One line naming the cause.
  public var description: String {
    switch self {
    case .malformedBundle(let e): return "cannot sign: \(e)"
    case .crypto(let e): return "cannot sign: \(e)"
    }
  }
}

/// Signs encoded bundles.
public enum BundleSigner {
  /// `encodedBundle` with its signature block set to `key`'s Ed25519 signature of its recorded
  /// digest (replacing any earlier signature). The digest is not recomputed: a bundle whose
  /// content was modified still fails the loader's digest check after signing.
  public static func sign(encodedBundle: [UInt8], key: Ed25519PrivateKey) throws(BundleSigningError)
    -> [UInt8]
  {
    let digest: [UInt8]
    do {
      digest = try BundleDecoder.split(encodedBundle).digest
    } catch {
      throw .malformedBundle(error)
    }
    let signature: [UInt8]
    do {
      signature = try key.sign(BundleEncoder.signingMessage(digest: digest))
    } catch {
      throw .crypto(error)
    }
    do {
      return try BundleEncoder.appendSignature(
        to: encodedBundle, publicKey: key.publicKey.rawRepresentation, signature: signature)
    } catch {
      throw .malformedBundle(error)
    }
  }
}
