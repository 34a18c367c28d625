// SHA-256 through OpenSSL's EVP interface (`EVP_Digest` with an `EVP_MD` fetched once), plus
// the hex helpers digests are shown and compared with.

internal import CLibCrypto

/// SHA-256 digests (FIPS 180-4).
public enum SHA256 {
  /// Length of a digest in bytes.
  public static let byteCount = 32

  /// The 32-byte digest of `bytes`.
  public static func digest(_ bytes: [UInt8]) -> [UInt8] {
    bytes.withUnsafeBufferPointer { digest(UnsafeRawBufferPointer($0)) }
  }

  /// The 32-byte digest of `bytes` (e.g. the content part of an encoded bundle, without a copy).
  public static func digest(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
    bytes.withUnsafeBufferPointer { digest(UnsafeRawBufferPointer($0)) }
  }

  /// The 32-byte digest of the UTF-8 encoding of `text`.
  public static func digest(utf8 text: String) -> [UInt8] {
    digest(Array(text.utf8))
  }

  /// The digest of `bytes` as 64 lowercase hex digits.
  public static func hexDigest(_ bytes: [UInt8]) -> String { hex(digest(bytes)) }

  /// The digest of the UTF-8 encoding of `text` as 64 lowercase hex digits (e.g. a schema hash:
  /// `SHA256.hexDigest(utf8: schema.canonicalText)`).
  public static func hexDigest(utf8 text: String) -> String { hex(digest(utf8: text)) }

  // PERF: `EVP_sha256()` makes every `EVP_Digest` fetch the provider's implementation again
  // (locks and a property-query lookup): 2.6 µs against 1.1 µs for a 300-byte message with an
  // `EVP_MD` fetched once (a C loop over 10⁶ digests, docs/performance.md, "SHA-256 with the
  // digest fetched once"). The daemon hashes three times per decision (API key, decision id,
  // audit chain). A fetched `EVP_MD` is immutable and may be shared between threads.
  private static let fetched = FetchedDigest()

  private static func digest(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: byteCount)
    var length: UInt32 = 0
    // OpenSSL wants a non-null data pointer even for an empty message.
    let empty: UInt8 = 0
    let ok = withUnsafePointer(to: empty) { emptyPointer in
      out.withUnsafeMutableBufferPointer { md in
        EVP_Digest(
          buffer.baseAddress ?? UnsafeRawPointer(emptyPointer), buffer.count, md.baseAddress, &length,
          fetched.md ?? EVP_sha256(), nil)
      }
    }
    // EVP_Digest over memory fails only when OpenSSL cannot allocate its context: there is no
    // input that makes it fail, and no sensible result to return.
    guard ok == 1, length == UInt32(byteCount) else {
      preconditionFailure("SHA-256: \(CryptoError.openSSL("EVP_Digest").message)")
    }
    return out
  }
}

/// OpenSSL's SHA-256 implementation, fetched from the default provider once (nil if the fetch
/// failed: `EVP_sha256()` is used then, which fetches per call). Never freed: it lives as long
/// as the process.
private struct FetchedDigest: @unchecked Sendable {
  let md: OpaquePointer?

  init() { md = EVP_MD_fetch(nil, "SHA256", nil) }
}

/// Lowercase hexadecimal encoding and decoding of byte strings.
public enum Hex {
  private static let digits = Array("0123456789abcdef".utf8)

  /// `bytes` as lowercase hex digits, two per byte.
  public static func encode(_ bytes: some Sequence<UInt8>) -> String { encode(Array(bytes)) }

  /// `bytes` as lowercase hex digits, two per byte, written straight into the string's storage.
  // NOTE: the generic form, appending byte by byte through the sequence's witness table, was
  // 4.8 % of the CPU of `sentinel replay --state` (one hash per decision for the audit chain;
  // docs/performance.md, "SQLite write path").
  public static func encode(_ bytes: [UInt8]) -> String {
    String(unsafeUninitializedCapacity: bytes.count * 2) { out in
      var i = 0
      for b in bytes {
        out[i] = digits[Int(b >> 4)]
        out[i + 1] = digits[Int(b & 0x0F)]
        i += 2
      }
      return i
    }
  }

  /// The bytes of a hex string (either case, even length), or nil if it is not one.
  public static func decode(_ text: String) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(chars.count / 2)
    var i = 0
    while i < chars.count {
      guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
      out.append(hi << 4 | lo)
      i += 2
    }
    return out
  }

  private static func nibble(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
  }
}

extension SHA256 {
  /// `bytes` as lowercase hex (same as `Hex.encode`).
  public static func hex(_ bytes: [UInt8]) -> String { Hex.encode(bytes) }
}
