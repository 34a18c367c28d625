// The canonical string form of a key (user id, ip, device…) or of a distinct/seen value.
//
// Every form is self-delimiting, so the form of a list or map (the concatenation of its
// elements' forms behind a count) is injective too. Numbers follow CEL's heterogeneous equality:
// `1`, `1u` and `1.0` are equal in CEL, so they share one key; every other pair of different
// values gets different keys. Map entries are sorted by key form, so insertion order does not
// matter.

import SentinelBytecode
public import SentinelModel

// MARK: - ValueKey

/// A canonical, injective (up to CEL equality of numbers) string form of a value.
public enum ValueKey {
  /// Maximum nesting of lists, maps and optionals accepted in a key.
  public static let maxDepth = 32

  /// The key form of `v`: strings, ints, uints, doubles, bools, null, timestamps, durations,
  /// bytes, types, optionals and lists/maps of those; nil for errors (anywhere inside) and for
  /// values nested deeper than `maxDepth`.
  public static func encode(_ v: Value) -> String? {
    // The common case, a string key, without the recursive machinery.
    if case .string(let s) = v { return stringForm(s) }
    var out = ""
    return append(v, to: &out, depth: 0) ? out : nil
  }

  /// A string's form, `s<count>:<text>`, written straight into one new String (interpolating
  /// the count and appending were ~2 % of `replay`'s decoding thread, which builds the forms of
  /// the values `distinct` and `seen` keep; docs/performance.md, "s16-dec").
  static func stringForm(_ s: String) -> String {
    var s = s
    return s.withUTF8 { text in
      let n = text.count
      // The count's decimal digits by the shared writer (`DecimalText`, also the decision line's).
      let digits = DecimalText.byteCount(Int64(n))
      return String(unsafeUninitializedCapacity: 2 &+ digits &+ n) { out in
        out[0] = 0x73  // s
        let colon = DecimalText.write(Int64(n), into: out, at: 1)
        out[colon] = 0x3A  // :
        _ = UnsafeMutableBufferPointer(rebasing: out[(colon &+ 1)...]).initialize(from: text)
        return colon &+ 1 &+ n
      }
    }
  }

  private static func append(_ v: Value, to out: inout String, depth: Int) -> Bool {
    guard depth <= maxDepth else { return false }
    switch v {
    case .null: out += "n"
    case .bool(let b): out += b ? "t" : "f"
    case .int(let i): out += "i\(i);"
    case .uint(let u):
      out += u <= UInt64(Int64.max) ? "i\(u);" : "u\(u);"
    case .double(let d): appendDouble(d, to: &out)
    case .string(let s): out += "s\(s.utf8.count):" + s
    case .bytes(let b):
      out += "b\(b.count):"
      out += hex(b)
    case .timestamp(let t): out += "T\(t.seconds).\(t.nanos);"
    case .duration(let d): out += "D\(d.seconds).\(d.nanos);"
    case .type(let t):
      var w = ByteWriter()
      w.type(t)
      out += "y\(w.out.count):" + hex(w.out)
    case .optional(let o):
      guard let inner = o else {
        out += "o-"
        return true
      }
      out += "o+"
      return append(inner, to: &out, depth: depth + 1)
    case .list(let xs):
      out += "l\(xs.count):"
      for x in xs where !append(x, to: &out, depth: depth + 1) { return false }
    case .map(let m):
      var pairs: [(String, String)] = []
      pairs.reserveCapacity(m.count)
      for e in m.entries {
        var k = ""
        var val = ""
        guard append(e.key, to: &k, depth: depth + 1), append(e.value, to: &val, depth: depth + 1) else {
          return false
        }
        pairs.append((k, val))
      }
      // INVARIANT: MapValue keys are unique under CEL equality, so their forms are unique too.
      pairs.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
      out += "m\(pairs.count):"
      for (k, val) in pairs {
        out += k
        out += val
      }
    case .error: return false
    }
    return true
  }

  /// Integral doubles take the int (or uint) form, as CEL equates `1.0` with `1`; other doubles
  /// their bit pattern (one NaN; `-0.0` is `0`).
  private static func appendDouble(_ d: Double, to out: inout String) {
    if d.isNaN {
      out += "d7ff8000000000000"
    } else if let i = Int64(exactly: d) {
      out += "i\(i);"
    } else if let u = UInt64(exactly: d) {
      out += "u\(u);"
    } else {
      let bits = String(d.bitPattern, radix: 16)
      out += "d" + String(repeating: "0", count: 16 - bits.count) + bits
    }
  }

  private static func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var chars: [UInt8] = []
    chars.reserveCapacity(bytes.count * 2)
    for b in bytes {
      chars.append(digits[Int(b >> 4)])
      chars.append(digits[Int(b & 15)])
    }
    return String(decoding: chars, as: UTF8.self)
  }
}

extension ValueKey {
  /// The string a key form denotes when it is the form of a string (`s5:hello` → `hello`), else
  /// nil: the inverse of `encode` on strings.
  public static func stringText(ofForm form: String) -> String? {
    var utf8 = form.utf8[...]
    guard utf8.first == UInt8(ascii: "s") else { return nil }
    utf8 = utf8.dropFirst()
    var length = 0
    var digits = 0
    while let b = utf8.first, b >= 0x30, b <= 0x39 {
      guard digits < 18 else { return nil }
      length = length * 10 + Int(b - 0x30)
      digits += 1
      utf8 = utf8.dropFirst()
    }
    guard digits > 0, utf8.first == UInt8(ascii: ":") else { return nil }
    utf8 = utf8.dropFirst()
    guard utf8.count == length, let text = String(utf8) else { return nil }
    return text
  }
}
