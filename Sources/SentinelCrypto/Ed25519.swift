// Ed25519 signatures (RFC 8032) through OpenSSL: `EVP_PKEY_new_raw_private_key` +
// `EVP_DigestSign` to sign, `EVP_PKEY_new_raw_public_key` + `EVP_DigestVerify` to verify.
//
// Keys are plain values (their raw 32 bytes); every operation builds its OpenSSL objects, uses
// them on the calling thread and frees them before returning (`defer`), so keys are `Sendable`,
// share nothing mutable, and leak nothing on any path. OpenSSL 3's error queue is thread-local.

internal import CLibCrypto

/// An Ed25519 public key: verifies signatures.
public struct Ed25519PublicKey: Sendable, Hashable, CustomStringConvertible {
  /// Length of a raw public key in bytes.
  public static let byteCount = 32
  /// Length of a signature in bytes.
  public static let signatureByteCount = 64

  /// The 32-byte encoded point (RFC 8032 §5.1.5).
  public let rawRepresentation: [UInt8]

  /// A public key from its 32 raw bytes. OpenSSL checks nothing more at this point; a bytes
  /// string that is not a valid point simply verifies no signature.
  public init(rawRepresentation: [UInt8]) throws(CryptoError) {
    guard rawRepresentation.count == Self.byteCount else {
      throw CryptoError(
        .invalidKeyLength,
        "an Ed25519 public key is \(Self.byteCount) bytes, not \(rawRepresentation.count)")
    }
    self.rawRepresentation = rawRepresentation
  }

  /// A short, stable identifier: the first 8 bytes of SHA-256(raw key) as 16 hex digits.
  public var keyID: String { Hex.encode(SHA256.digest(rawRepresentation).prefix(8)) }

  /// `ed25519:<key id>`.
  public var description: String { "ed25519:\(keyID)" }

  /// Whether `signature` is a valid Ed25519 signature of `message` by this key. Any failure
  /// (wrong length, invalid point, OpenSSL error) answers false.
  public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
    guard signature.count == Self.signatureByteCount else { return false }
    let pkey = rawRepresentation.withUnsafeBufferPointer {
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count)
    }
    guard let pkey else {
      ERR_clear_error()
      return false
    }
    defer { EVP_PKEY_free(pkey) }
    guard let ctx = EVP_MD_CTX_new() else {
      ERR_clear_error()
      return false
    }
    defer { EVP_MD_CTX_free(ctx) }
    guard EVP_DigestVerifyInit(ctx, nil, nil, nil, pkey) == 1 else {
      ERR_clear_error()
      return false
    }
    let result = signature.withUnsafeBufferPointer { sig in
      withMessage(message) { msg, count in
        EVP_DigestVerify(ctx, sig.baseAddress, sig.count, msg, count)
      }
    }
    // 0 = bad signature; < 0 = error. Both may leave entries on the queue.
    ERR_clear_error()
    return result == 1
  }
}

/// An Ed25519 private key (its 32-byte seed, RFC 8032 §5.1.5): signs messages.
public struct Ed25519PrivateKey: Sendable, CustomStringConvertible, CustomReflectable {
  /// Length of a raw private key (seed) in bytes.
  public static let byteCount = 32

  /// The 32-byte seed.
  public let rawRepresentation: [UInt8]
  /// The matching public key.
  public let publicKey: Ed25519PublicKey

  /// A private key from its 32-byte seed; derives the public key.
  public init(rawRepresentation: [UInt8]) throws(CryptoError) {
    guard rawRepresentation.count == Self.byteCount else {
      throw CryptoError(
        .invalidKeyLength,
        "an Ed25519 private key is \(Self.byteCount) bytes, not \(rawRepresentation.count)")
    }
    let pkey = try Self.makeKey(rawRepresentation)
    defer { EVP_PKEY_free(pkey) }
    var pub = [UInt8](repeating: 0, count: Ed25519PublicKey.byteCount)
    var length = pub.count
    let ok = pub.withUnsafeMutableBufferPointer { EVP_PKEY_get_raw_public_key(pkey, $0.baseAddress, &length) }
    guard ok == 1, length == Ed25519PublicKey.byteCount else {
      throw CryptoError.openSSL("deriving the Ed25519 public key")
    }
    self.rawRepresentation = rawRepresentation
    self.publicKey = try Ed25519PublicKey(rawRepresentation: pub)
  }

  /// A new key from OpenSSL's CSPRNG (`RAND_bytes`).
  public static func generate() throws(CryptoError) -> Ed25519PrivateKey {
    var seed = [UInt8](repeating: 0, count: byteCount)
    let ok = seed.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
    guard ok == 1 else {
      let e = CryptoError.openSSL("RAND_bytes")
      throw CryptoError(.randomness, e.message)
    }
    return try Ed25519PrivateKey(rawRepresentation: seed)
  }

  /// The 64-byte Ed25519 signature of `message` (deterministic: same key and message, same
  /// signature).
  public func sign(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
    let pkey = try Self.makeKey(rawRepresentation)
    defer { EVP_PKEY_free(pkey) }
    guard let ctx = EVP_MD_CTX_new() else { throw CryptoError.openSSL("EVP_MD_CTX_new") }
    defer { EVP_MD_CTX_free(ctx) }
    guard EVP_DigestSignInit(ctx, nil, nil, nil, pkey) == 1 else {
      throw CryptoError.openSSL("EVP_DigestSignInit")
    }
    var signature = [UInt8](repeating: 0, count: Ed25519PublicKey.signatureByteCount)
    var length = signature.count
    let ok = signature.withUnsafeMutableBufferPointer { sig in
      withMessage(message) { msg, count in EVP_DigestSign(ctx, sig.baseAddress, &length, msg, count) }
    }
    guard ok == 1, length == Ed25519PublicKey.signatureByteCount else {
      throw CryptoError.openSSL("EVP_DigestSign")
    }
    return signature
  }

  /// Names the key by its public key id; never shows the secret.
  public var description: String { "Ed25519PrivateKey(\(publicKey))" }

  /// Hides the secret from `dump` and debuggers' reflection.
  public var customMirror: Mirror { Mirror(self, children: ["publicKey": publicKey]) }

  /// An OpenSSL key object the caller must free with `EVP_PKEY_free`.
  private static func makeKey(_ raw: [UInt8]) throws(CryptoError) -> OpaquePointer {
    let pkey = raw.withUnsafeBufferPointer {
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count)
    }
    guard let pkey else { throw CryptoError.openSSL("EVP_PKEY_new_raw_private_key") }
    return pkey
  }
}

/// Calls `body` with a non-null pointer to `message` (OpenSSL rejects a null pointer even for
/// an empty message, and an empty array has no base address).
private func withMessage<R>(_ message: [UInt8], _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
  if message.isEmpty {
    let placeholder: UInt8 = 0
    return withUnsafePointer(to: placeholder) { body($0, 0) }
  }
  return message.withUnsafeBufferPointer { buffer in
    // INVARIANT: a non-empty array's buffer has a base address.
    guard let base = buffer.baseAddress else {
      let placeholder: UInt8 = 0
      return withUnsafePointer(to: placeholder) { body($0, 0) }
    }
    return body(base, buffer.count)
  }
}
