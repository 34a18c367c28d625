// Key files: standard PEM, exactly as OpenSSL writes Ed25519 keys, so the files interoperate
// with `openssl pkey` (and any PKCS#8/SPKI reader):
//
//   PREFIX.key  -----BEGIN PRIVATE KEY-----   base64(DER PKCS#8 v1, RFC 8410 §7)
//               MC4CAQAwBQYDK2VwBCIEI…         = 30 2e 02 01 00 30 05 06 03 2b 65 70
//               -----END PRIVATE KEY-----        04 22 04 20 ‖ 32-byte seed
//   PREFIX.pub  -----BEGIN PUBLIC KEY-----    base64(DER SubjectPublicKeyInfo, RFC 8410 §4)
//               MCowBQYDK2VwAyEA…              = 30 2a 30 05 06 03 2b 65 70 03 21 00 ‖ 32-byte key
//               -----END PUBLIC KEY-----
//
// For Ed25519 both DER structures are a fixed prefix followed by the raw key, so they are
// written and read here byte for byte, without an ASN.1 parser. Reading is strict about the
// label and the DER bytes, lenient about line breaks (CRLF, any wrap width) and about text
// before BEGIN or after END (which OpenSSL ignores too).

/// Prefix of the DER PKCS#8 v1 encoding of an Ed25519 private key (OID 1.3.101.112).
private let privateKeyDERPrefix: [UInt8] = [
  0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]
/// Prefix of the DER SubjectPublicKeyInfo encoding of an Ed25519 public key.
private let publicKeyDERPrefix: [UInt8] = [
  0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00,
]

extension Ed25519PrivateKey {
  /// The key as a PEM `PRIVATE KEY` block (PKCS#8), newline-terminated: the `.key` file format.
  public var pemRepresentation: String {
    PEM.encode(label: "PRIVATE KEY", der: privateKeyDERPrefix + rawRepresentation)
  }

  /// Reads a PEM `PRIVATE KEY` block holding an Ed25519 key (as `pemRepresentation` and
  /// `openssl genpkey -algorithm ed25519` write it).
  public init(pemRepresentation text: String) throws(CryptoError) {
    let der = try PEM.decode(text, label: "PRIVATE KEY")
    guard der.count == privateKeyDERPrefix.count + Ed25519PrivateKey.byteCount,
      der.starts(with: privateKeyDERPrefix)
    else {
      throw CryptoError(
        .invalidKeyFormat, "the PRIVATE KEY block is not an Ed25519 key in PKCS#8 v1 form (RFC 8410)")
    }
    try self.init(rawRepresentation: Array(der.dropFirst(privateKeyDERPrefix.count)))
  }
}

extension Ed25519PublicKey {
  /// The key as a PEM `PUBLIC KEY` block (SubjectPublicKeyInfo), newline-terminated: the `.pub`
  /// file format.
  public var pemRepresentation: String {
    PEM.encode(label: "PUBLIC KEY", der: publicKeyDERPrefix + rawRepresentation)
  }

  /// Reads a PEM `PUBLIC KEY` block holding an Ed25519 key (as `pemRepresentation` and
  /// `openssl pkey -pubout` write it).
  public init(pemRepresentation text: String) throws(CryptoError) {
    let der = try PEM.decode(text, label: "PUBLIC KEY")
    guard der.count == publicKeyDERPrefix.count + Ed25519PublicKey.byteCount,
      der.starts(with: publicKeyDERPrefix)
    else {
      throw CryptoError(
        .invalidKeyFormat,
        "the PUBLIC KEY block is not an Ed25519 key in SubjectPublicKeyInfo form (RFC 8410)")
    }
    try self.init(rawRepresentation: Array(der.dropFirst(publicKeyDERPrefix.count)))
  }
}

/// PEM armor (RFC 7468): a labelled, base64-encoded DER blob.
public enum PEM {
  /// `-----BEGIN label-----`, the base64 of `der` in 64-character lines, `-----END label-----`.
  public static func encode(label: String, der: [UInt8]) -> String {
    let body = Base64.encode(der)
    var lines = ["-----BEGIN \(label)-----"]
    var rest = Substring(body)
    while !rest.isEmpty {
      lines.append(String(rest.prefix(64)))
      rest = rest.dropFirst(64)
    }
    lines.append("-----END \(label)-----")
    return lines.joined(separator: "\n") + "\n"
  }

  /// The DER bytes of the first `label` block in `text`.
  public static func decode(_ text: String, label: String) throws(CryptoError) -> [UInt8] {
    let begin = "-----BEGIN \(label)-----"
    let end = "-----END \(label)-----"
    let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
      .map { $0.trimmingSpaces() }
    guard let first = lines.firstIndex(of: begin) else {
      let found = lines.first { $0.hasPrefix("-----BEGIN ") }
      throw CryptoError(
        .invalidKeyFormat,
        found.map { "expected a `\(begin)` block, found `\($0)`" } ?? "no `\(begin)` line: not a PEM file")
    }
    guard let last = lines[(first + 1)...].firstIndex(of: end) else {
      throw CryptoError(.invalidKeyFormat, "the `\(begin)` block has no `\(end)` line")
    }
    let body = lines[(first + 1)..<last].joined()
    guard let der = Base64.decode(body) else {
      throw CryptoError(.invalidKeyFormat, "the `\(label)` block is not valid base64")
    }
    return der
  }
}

/// Standard base64 (RFC 4648 §4) with padding; decoding is strict (no whitespace, canonical
/// padding bits).
public enum Base64 {
  private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  /// The padded base64 text of `bytes`.
  public static func encode(_ bytes: [UInt8]) -> String {
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var i = 0
    while i < bytes.count {
      let n = min(3, bytes.count - i)
      let b0 = UInt32(bytes[i])
      let b1 = n > 1 ? UInt32(bytes[i + 1]) : 0
      let b2 = n > 2 ? UInt32(bytes[i + 2]) : 0
      let v = b0 << 16 | b1 << 8 | b2
      out.append(alphabet[Int(v >> 18 & 63)])
      out.append(alphabet[Int(v >> 12 & 63)])
      out.append(n > 1 ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "="))
      out.append(n > 2 ? alphabet[Int(v & 63)] : UInt8(ascii: "="))
      i += 3
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// The bytes of padded base64 `text`, or nil if it is not canonical base64.
  public static func decode(_ text: String) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count % 4 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(chars.count / 4 * 3)
    var i = 0
    while i < chars.count {
      let isLast = i + 4 == chars.count
      var v: UInt32 = 0
      var padding = 0
      for j in 0..<4 {
        let c = chars[i + j]
        if c == UInt8(ascii: "=") {
          // Padding only at the end of the last quantum, at most two.
          guard isLast, j >= 2 else { return nil }
          padding += 1
          v <<= 6
        } else {
          guard padding == 0, let d = sextet(c) else { return nil }
          v = v << 6 | UInt32(d)
        }
      }
      out.append(UInt8(v >> 16 & 0xFF))
      if padding < 2 { out.append(UInt8(v >> 8 & 0xFF)) }
      if padding < 1 { out.append(UInt8(v & 0xFF)) }
      // Canonical: the bits that padding discards must be zero.
      if padding == 2 && v & 0xFFFF != 0 { return nil }
      if padding == 1 && v & 0xFF != 0 { return nil }
      i += 4
    }
    return out
  }

  private static func sextet(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c - UInt8(ascii: "A")
    case UInt8(ascii: "a")...UInt8(ascii: "z"): return c - UInt8(ascii: "a") + 26
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0") + 52
    case UInt8(ascii: "+"): return 62
    case UInt8(ascii: "/"): return 63
    default: return nil
    }
  }
}

extension Substring {
  /// Without leading and trailing spaces and tabs.
  fileprivate func trimmingSpaces() -> String {
    var s = self
    while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
    while let c = s.last, c == " " || c == "\t" { s.removeLast() }
    return String(s)
  }
}
