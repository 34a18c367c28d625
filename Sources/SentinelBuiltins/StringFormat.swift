// `string.format(list)` of the strings extension (strings-extension.md; cel-go's formatting v2):
// clauses `%s %d %f %e %x %X %o %b`, an optional precision `%.3f`, and `%%`.
//
// `%f`/`%e` round the exact binary value half-to-even (C's printf, which is exact), so
// `'%.3f'.format([123.4999])` is `123.500` and `'%.0f'.format([2.5])` is `2`. NaN and infinities
// print as `NaN`, `Infinity`, `-Infinity`. `%s` prints lists as `[a, b]` and maps as `{k: v}`
// sorted by the printed keys.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import SentinelModel

enum StringFormat {
  struct Failure: Error {
    let message: String
  }

  static func format(_ template: String, _ args: [Value]) -> Value {
    var out = ""
    var argIndex = 0
    let scalars = Array(template.unicodeScalars)
    var i = 0
    do {
      while i < scalars.count {
        let c = scalars[i]
        i += 1
        guard c == "%" else {
          out.unicodeScalars.append(c)
          continue
        }
        guard i < scalars.count else {
          throw Failure(message: "could not parse formatting clause: missing conversion after '%'")
        }
        if scalars[i] == "%" {
          out += "%"
          i += 1
          continue
        }
        var precision: Int? = nil
        if scalars[i] == "." {
          i += 1
          var p = 0
          var n = 0
          while i < scalars.count, scalars[i] >= "0", scalars[i] <= "9" {
            p = min(p * 10 + Int(scalars[i].value - 48), 1000)
            i += 1
            n += 1
          }
          guard n > 0 else { throw Failure(message: "could not parse formatting clause: bad precision") }
          precision = p
        }
        guard i < scalars.count else {
          throw Failure(message: "could not parse formatting clause: missing conversion")
        }
        let verb = scalars[i]
        i += 1
        guard "sdfexXob".unicodeScalars.contains(verb) else {
          throw Failure(
            message: "could not parse formatting clause: unrecognized formatting clause \"\(verb)\"")
        }
        guard argIndex < args.count else {
          throw Failure(message: "index \(argIndex) out of range")
        }
        let arg = args[argIndex]
        argIndex += 1
        switch verb {
        case "s": try appendString(&out, arg)
        case "d": out += try decimal(arg)
        case "f": out += try fixed(arg, precision ?? 6)
        case "e": out += try scientific(arg, precision ?? 6)
        case "x": out += try hex(arg, uppercase: false)
        case "X": out += try hex(arg, uppercase: true)
        case "o": out += try octal(arg)
        default: out += try binary(arg)
        }
      }
    } catch let f as Failure {
      return err(.invalidArgument, f.message)
    } catch {
      return err(.invalidArgument, "\(error)")
    }
    return .string(out)
  }

  static func failure(_ what: String, _ v: Value) -> Failure {
    Failure(message: "error during formatting: \(what), was given \(v.typeName)")
  }

  /// `%s`.
  static func appendString(_ out: inout String, _ v: Value) throws {
    switch v {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let i): out += String(i)
    case .uint(let u): out += String(u)
    case .double(let d): out += DoubleFormat.plain(d)
    case .string(let s): out += s
    case .bytes(let b): out += decodeReplacing(b)
    case .duration(let d): out += TimeMath.format(d)
    case .timestamp(let t): out += TimeMath.format(t)
    case .type(let t): out += t.runtimeName
    case .list(let xs):
      out += "["
      for (i, x) in xs.enumerated() {
        if i > 0 { out += ", " }
        try appendString(&out, x)
      }
      out += "]"
    case .map(let m):
      var entries: [(String, String)] = []
      entries.reserveCapacity(m.count)
      for (k, v) in m.entries {
        var ks = ""
        var vs = ""
        try appendString(&ks, k)
        try appendString(&vs, v)
        entries.append((ks, vs))
      }
      entries.sort { compareStrings($0.0, $1.0) < 0 }
      out += "{"
      for (i, e) in entries.enumerated() {
        if i > 0 { out += ", " }
        out += e.0 + ": " + e.1
      }
      out += "}"
    case .optional, .error:
      throw failure(
        "string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps",
        v)
    }
  }

  /// UTF-8 decoding where each maximal run of invalid sequences becomes one U+FFFD.
  static func decodeReplacing(_ bytes: [UInt8]) -> String {
    if let s = String(validating: bytes, as: UTF8.self) { return s }
    var out = String.UnicodeScalarView()
    var it = bytes.makeIterator()
    var decoder = UTF8()
    var lastWasError = false
    loop: while true {
      switch decoder.decode(&it) {
      case .scalarValue(let c):
        out.append(c)
        lastWasError = false
      case .error:
        if !lastWasError { out.append("\u{FFFD}") }
        lastWasError = true
      case .emptyInput:
        break loop
      }
    }
    return String(out)
  }

  static func special(_ d: Double) -> String? {
    if d.isNaN { return "NaN" }
    if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
    return nil
  }

  /// `%d`.
  static func decimal(_ v: Value) throws -> String {
    switch v {
    case .int(let i): return String(i)
    case .uint(let u): return String(u)
    case .double(let d): return DoubleFormat.plain(d)
    default: throw failure("decimal clause can only be used on integers", v)
    }
  }

  static func numeric(_ v: Value, _ what: String) throws -> Double {
    switch v {
    case .int(let i): return Double(i)
    case .uint(let u): return Double(u)
    case .double(let d): return d
    default: throw failure(what, v)
    }
  }

  /// `%f`.
  static func fixed(_ v: Value, _ precision: Int) throws -> String {
    let d = try numeric(v, "fixed-point clause can only be used on doubles")
    return special(d) ?? printf(d, precision, conversion: "f")
  }

  /// `%e`.
  static func scientific(_ v: Value, _ precision: Int) throws -> String {
    let d = try numeric(v, "scientific clause can only be used on doubles")
    return special(d) ?? printf(d, precision, conversion: "e")
  }

  /// C's `%.<precision>f` / `%.<precision>e`, exact with round-half-even on ties.
  static func printf(_ d: Double, _ precision: Int, conversion: String) -> String {
    let spec = "%." + String(precision) + conversion
    var size = 64
    while true {
      var buf = [CChar](repeating: 0, count: size)
      let n = buf.withUnsafeMutableBufferPointer { p in
        withVaList([d]) { vsnprintf(p.baseAddress, p.count, spec, $0) }
      }
      if n < 0 { return String(d) }
      if Int(n) < size {
        return String(decoding: buf[0..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      }
      size = Int(n) + 1
    }
  }

  static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
  static let hexDigitsUpper: [UInt8] = Array("0123456789ABCDEF".utf8)

  static func hexBytes<S: Sequence>(_ bytes: S, uppercase: Bool) -> String where S.Element == UInt8 {
    let table = uppercase ? hexDigitsUpper : hexDigits
    var out: [UInt8] = []
    for b in bytes {
      out.append(table[Int(b >> 4)])
      out.append(table[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  static func signed(_ i: Int64, radix: Int, uppercase: Bool = false) -> String {
    (i < 0 ? "-" : "") + String(i.magnitude, radix: radix, uppercase: uppercase)
  }

  /// `%x` / `%X`.
  static func hex(_ v: Value, uppercase: Bool) throws -> String {
    switch v {
    case .int(let i): return signed(i, radix: 16, uppercase: uppercase)
    case .uint(let u): return String(u, radix: 16, uppercase: uppercase)
    case .string(let s): return hexBytes(s.utf8, uppercase: uppercase)
    case .bytes(let b): return hexBytes(b, uppercase: uppercase)
    default: throw failure("only integers, byte buffers, and strings can be formatted as hex", v)
    }
  }

  /// `%o`.
  static func octal(_ v: Value) throws -> String {
    switch v {
    case .int(let i): return signed(i, radix: 8)
    case .uint(let u): return String(u, radix: 8)
    default: throw failure("octal clause can only be used on integers", v)
    }
  }

  /// `%b`.
  static func binary(_ v: Value) throws -> String {
    switch v {
    case .bool(let b): return b ? "1" : "0"
    case .int(let i): return signed(i, radix: 2)
    case .uint(let u): return String(u, radix: 2)
    default: throw failure("only integers and bools can be formatted as binary", v)
    }
  }

  static let overloads: [Overload] = [
    Overload(
      "string_format", "format", receiver: true, [.string, T.listDyn], .string, cost: Cost.format,
      .binary { a, b in
        guard case .string(let s) = a, case .list(let args) = b else { return noOverload("format", a, b) }
        return format(s, args)
      })
  ]
}
