// A small, strict JSON reader producing CEL values (RFC 8259). Integers without a fraction or
// exponent become `int` (or `uint` above Int64.max); other numbers `double`; objects `map`.
// Used for `--var name=JSON` and test fixtures; the event decoder of the runtime is separate.

/// A JSON syntax error with the byte offset where it was found.
public struct JSONError: Error, Sendable, Hashable, CustomStringConvertible {
  public var offset: Int
  public var message: String
  public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

/// Parses JSON text into CEL values.
public enum JSONReader {
  /// Maximum nesting depth accepted.
  public static let maxDepth = 128

  public static func parse(_ text: String) throws(JSONError) -> Value {
    var p = Parser(bytes: Array(text.utf8))
    p.skipSpace()
    let v = try p.value(depth: 0)
    p.skipSpace()
    guard p.i == p.bytes.count else { throw JSONError(offset: p.i, message: "trailing characters") }
    return v
  }

  struct Parser {
    let bytes: [UInt8]
    var i = 0

    mutating func skipSpace() {
      while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 {
        i += 1
      }
    }

    func fail(_ m: String) -> JSONError { JSONError(offset: i, message: m) }

    mutating func literal(_ word: String, _ v: Value) throws(JSONError) -> Value {
      let w = Array(word.utf8)
      guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else {
        throw fail("unexpected token")
      }
      i += w.count
      return v
    }

    mutating func value(depth: Int) throws(JSONError) -> Value {
      guard depth < JSONReader.maxDepth else { throw fail("nesting deeper than \(JSONReader.maxDepth)") }
      guard i < bytes.count else { throw fail("unexpected end of input") }
      switch bytes[i] {
      case UInt8(ascii: "{"):
        i += 1
        var m = MapValue()
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
          i += 1
          return .map(m)
        }
        while true {
          skipSpace()
          guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
          let k = try string()
          skipSpace()
          guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected `:`") }
          i += 1
          skipSpace()
          let v = try value(depth: depth + 1)
          m.set(.string(k), v)
          skipSpace()
          guard i < bytes.count else { throw fail("unterminated object") }
          if bytes[i] == UInt8(ascii: ",") {
            i += 1
            continue
          }
          guard bytes[i] == UInt8(ascii: "}") else { throw fail("expected `,` or `}`") }
          i += 1
          return .map(m)
        }
      case UInt8(ascii: "["):
        i += 1
        var xs: [Value] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
          i += 1
          return .list(xs)
        }
        while true {
          skipSpace()
          xs.append(try value(depth: depth + 1))
          skipSpace()
          guard i < bytes.count else { throw fail("unterminated array") }
          if bytes[i] == UInt8(ascii: ",") {
            i += 1
            continue
          }
          guard bytes[i] == UInt8(ascii: "]") else { throw fail("expected `,` or `]`") }
          i += 1
          return .list(xs)
        }
      case UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "t"): return try literal("true", .bool(true))
      case UInt8(ascii: "f"): return try literal("false", .bool(false))
      case UInt8(ascii: "n"): return try literal("null", .null)
      default: return try number()
      }
    }

    mutating func number() throws(JSONError) -> Value {
      let start = i
      if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
      let intStart = i
      while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
      guard i > intStart else { throw fail("unexpected character") }
      if bytes[intStart] == 0x30 && i - intStart > 1 {
        throw JSONError(offset: intStart, message: "leading zero")
      }
      var integral = true
      if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
        integral = false
        i += 1
        let f = i
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
        guard i > f else { throw fail("expected digits after `.`") }
      }
      if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
        integral = false
        i += 1
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
        let e = i
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
        guard i > e else { throw fail("expected exponent digits") }
      }
      let text = String(decoding: bytes[start..<i], as: UTF8.self)
      if integral {
        if let v = Int64(text) { return .int(v) }
        if let v = UInt64(text) { return .uint(v) }
      }
      guard let d = Double(text) else { throw JSONError(offset: start, message: "bad number") }
      return .double(d)
    }

    mutating func hex4() throws(JSONError) -> UInt32 {
      guard i + 4 <= bytes.count else { throw fail("short \\u escape") }
      var v: UInt32 = 0
      for _ in 0..<4 {
        let c = bytes[i]
        let d: UInt32
        switch c {
        case 0x30...0x39: d = UInt32(c - 0x30)
        case 0x41...0x46: d = UInt32(c - 0x41 + 10)
        case 0x61...0x66: d = UInt32(c - 0x61 + 10)
        default: throw fail("bad hex digit in \\u escape")
        }
        v = v * 16 + d
        i += 1
      }
      return v
    }

    mutating func string() throws(JSONError) -> String {
      i += 1  // opening quote
      var out: [UInt8] = []
      while true {
        guard i < bytes.count else { throw fail("unterminated string") }
        let c = bytes[i]
        if c == UInt8(ascii: "\"") {
          i += 1
          break
        }
        if c < 0x20 { throw fail("control character in string") }
        if c != UInt8(ascii: "\\") {
          out.append(c)
          i += 1
          continue
        }
        i += 1
        guard i < bytes.count else { throw fail("unterminated escape") }
        let e = bytes[i]
        i += 1
        switch e {
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "/"): out.append(0x2F)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
          var code = try hex4()
          if code >= 0xD800 && code < 0xDC00 {
            guard i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u")
            else {
              throw fail("unpaired surrogate")
            }
            i += 2
            let low = try hex4()
            guard low >= 0xDC00 && low < 0xE000 else { throw fail("unpaired surrogate") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
          } else if code >= 0xDC00 && code < 0xE000 {
            throw fail("unpaired surrogate")
          }
          guard let scalar = Unicode.Scalar(code) else { throw fail("bad code point") }
          out.append(contentsOf: Array(String(Character(scalar)).utf8))
        default: throw fail("bad escape")
        }
      }
      guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in string") }
      return s
    }
  }
}

/// Writes JSON text.
public enum JSONWriter {
  /// A JSON string literal for `s` (quotes included), escaping what RFC 8259 requires.
  public static func quote(_ s: String) -> String {
    // The common case — nothing to escape — is one concatenation.
    if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) { return "\"" + s + "\"" }
    var out = "\""
    out.reserveCapacity(s.utf8.count + 2)
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if u.value < 0x20 {
          let hex = String(u.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    out += "\""
    return out
  }

  /// A CEL value as JSON (maps with string keys as objects; bytes as base64-free escapes are not
  /// JSON, so bytes, types and errors render as strings).
  public static func value(_ v: Value) -> String {
    switch v {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .int(let i): return String(i)
    case .uint(let u): return String(u)
    case .double(let d):
      return d.isFinite
        ? (d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) + ".0" : String(d)) : quote(String(d))
    case .string(let s): return quote(s)
    case .list(let xs): return "[" + xs.map(value).joined(separator: ",") + "]"
    case .map(let m):
      return "{"
        + m.entries.map { e in
          let k: String
          if case .string(let s) = e.key { k = s } else { k = e.key.description }
          return quote(k) + ":" + value(e.value)
        }.joined(separator: ",") + "}"
    case .timestamp(let t): return quote(t.description)
    case .duration(let d): return quote(d.description)
    case .optional(let o): return o.map(value) ?? "null"
    default: return quote(v.description)
    }
  }
}
