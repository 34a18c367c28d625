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
    let bytes = BundleEncoder.encode(self, sha256: SHA256.digest)
    guard let key else { return bytes }
    return try BundleSigner.sign(encodedBundle: bytes, key: key)
  }
}

/// Signs encoded bundles.
public enum BundleSigner {
  /// `encodedBundle` with its signature block set to `key`'s Ed25519 signature of its recorded
  /// digest (replacing any earlier signature). The digest is not recomputed: a bundle whose
  /// content was modified still fails the loader's digest check after signing.
  public static func sign(encodedBundle: [UInt8], key: Ed25519PrivateKey) throws(CryptoError) -> [UInt8] {
    do {
      let digest = try BundleDecoder.split(encodedBundle).digest
      let signature = try key.sign(BundleEncoder.signingMessage(digest: digest))
      return try BundleEncoder.appendSignature(
        to: encodedBundle, publicKey: key.publicKey.rawRepresentation, signature: signature)
    } catch let error as CryptoError {
      throw error
    } catch {
      throw CryptoError(.invalidKeyFormat, "cannot sign: not a well-formed bundle: \(error)")
    }
  }
}
