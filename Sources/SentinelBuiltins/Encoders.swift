// The encoders extension (cel-go `ext.Encoders`, conformance encoders_ext.json):
// `base64.encode(bytes) -> string` (standard alphabet, padded) and
// `base64.decode(string) -> bytes`, which accepts padded input and, like cel-go, unpadded input
// too; CR and LF are ignored, anything else outside the alphabet is an error.

import SentinelModel

enum Base64 {
  static let alphabet: [UInt8] = Array(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  /// The 6-bit value of each byte, or 0xFF.
  static let decodeTable: [UInt8] = {
    var t = [UInt8](repeating: 0xFF, count: 256)
    for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
    return t
  }()

  static func encode(_ b: [UInt8]) -> String {
    var out: [UInt8] = []
    out.reserveCapacity((b.count + 2) / 3 * 4)
    var i = 0
    while i + 3 <= b.count {
      let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
      out.append(alphabet[Int(v >> 18 & 63)])
      out.append(alphabet[Int(v >> 12 & 63)])
      out.append(alphabet[Int(v >> 6 & 63)])
      out.append(alphabet[Int(v & 63)])
      i += 3
    }
    let rest = b.count - i
    if rest > 0 {
      let v = UInt32(b[i]) << 16 | (rest == 2 ? UInt32(b[i + 1]) << 8 : 0)
      out.append(alphabet[Int(v >> 18 & 63)])
      out.append(alphabet[Int(v >> 12 & 63)])
      out.append(rest == 2 ? alphabet[Int(v >> 6 & 63)] : 0x3D)
      out.append(0x3D)
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Decodes padded or unpadded standard base64; nil when malformed.
  static func decode(_ s: String) -> [UInt8]? {
    var chars: [UInt8] = []
    chars.reserveCapacity(s.utf8.count)
    for c in s.utf8 where c != 0x0A && c != 0x0D { chars.append(c) }
    // Padding: only at the end, making the length a multiple of 4.
    var padding = 0
    while let last = chars.last, last == 0x3D {
      chars.removeLast()
      padding += 1
    }
    if padding > 0 && (padding > 2 || (chars.count + padding) % 4 != 0) { return nil }
    if chars.count % 4 == 1 { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(chars.count * 3 / 4)
    var acc: UInt32 = 0
    var bits = 0
    for c in chars {
      let v = decodeTable[Int(c)]
      if v == 0xFF { return nil }
      acc = acc << 6 | UInt32(v)
      bits += 6
      if bits >= 8 {
        bits -= 8
        out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
      }
    }
    return out
  }
}

enum Encoders {
  static let overloads: [Overload] = [
    Overload(
      "base64_encode_bytes", "base64.encode", [.bytes], .string, cost: Cost.linear,
      .unary { a in
        guard case .bytes(let b) = a else { return noOverload("base64.encode", a) }
        return .string(Base64.encode(b))
      }),
    Overload(
      "base64_decode_string", "base64.decode", [.string], .bytes, cost: Cost.linear,
      .unary { a in
        guard case .string(let s) = a else { return noOverload("base64.decode", a) }
        guard let b = Base64.decode(s) else { return err(.invalidArgument, "illegal base64 data") }
        return .bytes(b)
      }),
  ]
}
