// The strings extension (cel-go `ext.Strings`, strings-extension.md, conformance
// string_ext.json): charAt, indexOf, lastIndexOf, lowerAscii, upperAscii, replace, split,
// substring, trim, join, strings.quote, reverse. `format` is in StringFormat.swift.
//
// Positions and lengths count code points. Offsets outside [0, size] are errors
// (`'tacocat'.indexOf('a', 30)`), as the conformance suite requires; `replace` and `split`
// follow Go's `strings.Replace` / `strings.SplitN` (a negative count means "all").

import SentinelModel

enum StringsExtension {
  // MARK: Code point ↔ byte offsets

  /// The byte offset of code point `n` (the byte count when `n` is the code point count).
  static func byteOffset(ofCodePoint n: Int, in b: UnsafeBufferPointer<UInt8>) -> Int {
    var seen = 0
    var i = 0
    while i < b.count {
      if b[i] & 0xC0 != 0x80 {
        if seen == n { return i }
        seen += 1
      }
      i += 1
    }
    return b.count
  }

  /// The code point index of a byte offset that starts a code point.
  static func codePointIndex(ofByte off: Int, in b: UnsafeBufferPointer<UInt8>) -> Int {
    var n = 0
    var i = 0
    while i < off {
      if b[i] & 0xC0 != 0x80 { n += 1 }
      i += 1
    }
    return n
  }

  static func outOfRange(_ i: Int64) -> Value { err(.indexOutOfBounds, "index out of range: \(i)") }

  static func string(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> String {
    String(decoding: UnsafeBufferPointer(rebasing: b[from..<to]), as: UTF8.self)
  }

  // MARK: Functions

  static func charAt(_ s: String, _ i: Int64) -> Value {
    let count = codePointCount(s)
    guard i >= 0 && i <= Int64(count) else { return outOfRange(i) }
    if i == Int64(count) { return .string("") }
    return withUTF8(s) { b in
      let start = byteOffset(ofCodePoint: Int(i), in: b)
      let end = byteOffset(ofCodePoint: Int(i) + 1, in: b)
      return .string(string(b, start, end))
    }
  }

  static func indexOf(_ s: String, _ sub: String, _ offset: Int64) -> Value {
    let count = codePointCount(s)
    guard offset >= 0 && offset <= Int64(count) else { return outOfRange(offset) }
    if sub.isEmpty { return .int(offset) }
    return withUTF8(s) { h in
      withUTF8(sub) { n in
        let from = byteOffset(ofCodePoint: Int(offset), in: h)
        guard let at = findBytes(h, n, from: from) else { return .int(-1) }
        return .int(Int64(codePointIndex(ofByte: at, in: h)))
      }
    }
  }

  static func lastIndexOf(_ s: String, _ sub: String, _ offset: Int64?) -> Value {
    let count = codePointCount(s)
    if let offset, offset < 0 || offset > Int64(count) { return outOfRange(offset) }
    let limit = offset ?? Int64(count)
    if sub.isEmpty { return .int(limit) }
    return withUTF8(s) { h in
      withUTF8(sub) { n in
        let upTo = byteOffset(ofCodePoint: Int(limit), in: h)
        guard let at = findLastBytes(h, n, upTo: upTo) else { return .int(-1) }
        return .int(Int64(codePointIndex(ofByte: at, in: h)))
      }
    }
  }

  static func mapASCII(_ s: String, upper: Bool) -> String {
    var bytes = Array(s.utf8)
    for i in bytes.indices {
      let c = bytes[i]
      if upper, c >= 0x61, c <= 0x7A { bytes[i] = c - 32 }
      if !upper, c >= 0x41, c <= 0x5A { bytes[i] = c + 32 }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Go's `strings.Replace(s, old, new, n)`; n < 0 replaces every occurrence. An empty `old`
  /// matches before each code point and at the end.
  static func replace(_ s: String, _ old: String, _ new: String, _ limit: Int64) -> String {
    if limit == 0 || stringsEqual(old, new) { return s }
    return withUTF8(s) { h in
      withUTF8(old) { o in
        // The number of replacements: occurrences, capped by the limit.
        var occurrences = 0
        if o.count == 0 {
          occurrences = codePointIndex(ofByte: h.count, in: h) + 1
        } else {
          var from = 0
          while let at = findBytes(h, o, from: from) {
            occurrences += 1
            from = at + o.count
          }
        }
        if occurrences == 0 { return s }
        let n = limit < 0 || Int64(occurrences) < limit ? occurrences : Int(limit)
        var out: [UInt8] = []
        out.reserveCapacity(h.count + n * new.utf8.count)
        var start = 0
        for i in 0..<n {
          var j = start
          if o.count == 0 {
            if i > 0 && j < h.count {
              j += 1
              while j < h.count && h[j] & 0xC0 == 0x80 { j += 1 }
            }
          } else {
            j = findBytes(h, o, from: start) ?? h.count
          }
          out.append(contentsOf: UnsafeBufferPointer(rebasing: h[start..<j]))
          out.append(contentsOf: new.utf8)
          start = j + o.count
        }
        if start < h.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: h[start..<h.count])) }
        return String(decoding: out, as: UTF8.self)
      }
    }
  }

  /// Go's `strings.SplitN(s, sep, n)`: n == 0 → [], n < 0 → all parts, else at most n parts.
  static func split(_ s: String, _ sep: String, _ limit: Int64) -> [Value] {
    if limit == 0 { return [] }
    return withUTF8(s) { h in
      withUTF8(sep) { p in
        var parts: [Value] = []
        var start = 0
        if p.count == 0 {
          // Explode into code points; the last part holds the rest.
          while start < h.count {
            if limit > 0 && Int64(parts.count) == limit - 1 { break }
            var k = start + 1
            while k < h.count && h[k] & 0xC0 == 0x80 { k += 1 }
            parts.append(.string(string(h, start, k)))
            start = k
          }
          if start < h.count { parts.append(.string(string(h, start, h.count))) }
          return parts
        }
        while limit < 0 || Int64(parts.count) < limit - 1 {
          guard let at = findBytes(h, p, from: start) else { break }
          parts.append(.string(string(h, start, at)))
          start = at + p.count
        }
        parts.append(.string(string(h, start, h.count)))
        return parts
      }
    }
  }

  static func substring(_ s: String, _ start: Int64, _ end: Int64?) -> Value {
    let count = Int64(codePointCount(s))
    if let end, start > end {
      return err(.invalidArgument, "invalid substring range. start: \(start), end: \(end)")
    }
    guard start >= 0 && start <= count else { return outOfRange(start) }
    let stop = end ?? count
    guard stop >= 0 && stop <= count else { return outOfRange(stop) }
    return withUTF8(s) { b in
      .string(
        string(b, byteOffset(ofCodePoint: Int(start), in: b), byteOffset(ofCodePoint: Int(stop), in: b)))
    }
  }

  /// Unicode White_Space (Go's `unicode.IsSpace`).
  static func isSpace(_ c: Unicode.Scalar) -> Bool {
    switch c.value {
    case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
      return true
    default: return false
    }
  }

  static func trim(_ s: String) -> String {
    let scalars = s.unicodeScalars
    guard let first = scalars.firstIndex(where: { !isSpace($0) }),
      let last = scalars.lastIndex(where: { !isSpace($0) })
    else { return "" }
    return String(scalars[first...last])
  }

  static func quote(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
      switch c {
      case "\u{07}": out += "\\a"
      case "\u{08}": out += "\\b"
      case "\u{0C}": out += "\\f"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "\u{0B}": out += "\\v"
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      default: out.unicodeScalars.append(c)
      }
    }
    return out + "\""
  }

  static func join(_ list: Value, _ sep: String, _ fn: String) -> Value {
    guard case .list(let xs) = list else { return noOverload(fn, list) }
    var out = ""
    for (i, x) in xs.enumerated() {
      guard case .string(let s) = x else {
        return err(.invalidArgument, "join: invalid input: \(Value.render(x))")
      }
      if i > 0 { out += sep }
      out += s
    }
    return .string(out)
  }

  // MARK: Overloads

  static let overloads: [Overload] = [
    Overload(
      "string_char_at_int", "charAt", receiver: true, [.string, .int], .string, cost: Cost.linear,
      .binary { a, b in
        guard case .string(let s) = a, case .int(let i) = b else { return noOverload("charAt", a, b) }
        return charAt(s, i)
      }),
    Overload(
      "string_index_of_string", "indexOf", receiver: true, [.string, .string], .int, cost: Cost.search,
      .binary { a, b in
        guard case .string(let s) = a, case .string(let t) = b else { return noOverload("indexOf", a, b) }
        return indexOf(s, t, 0)
      }),
    Overload(
      "string_index_of_string_int", "indexOf", receiver: true, [.string, .string, .int], .int,
      cost: Cost.search,
      .ternary { a, b, c in
        guard case .string(let s) = a, case .string(let t) = b, case .int(let o) = c else {
          return noOverload("indexOf", a, b, c)
        }
        return indexOf(s, t, o)
      }),
    Overload(
      "string_last_index_of_string", "lastIndexOf", receiver: true, [.string, .string], .int,
      cost: Cost.search,
      .binary { a, b in
        guard case .string(let s) = a, case .string(let t) = b else { return noOverload("lastIndexOf", a, b) }
        return lastIndexOf(s, t, nil)
      }),
    Overload(
      "string_last_index_of_string_int", "lastIndexOf", receiver: true, [.string, .string, .int], .int,
      cost: Cost.search,
      .ternary { a, b, c in
        guard case .string(let s) = a, case .string(let t) = b, case .int(let o) = c else {
          return noOverload("lastIndexOf", a, b, c)
        }
        return lastIndexOf(s, t, o)
      }),
    Overload(
      "string_lower_ascii", "lowerAscii", receiver: true, [.string], .string, cost: Cost.linear,
      .unary { a in
        guard case .string(let s) = a else { return noOverload("lowerAscii", a) }
        return .string(mapASCII(s, upper: false))
      }),
    Overload(
      "string_upper_ascii", "upperAscii", receiver: true, [.string], .string, cost: Cost.linear,
      .unary { a in
        guard case .string(let s) = a else { return noOverload("upperAscii", a) }
        return .string(mapASCII(s, upper: true))
      }),
    Overload(
      "string_replace_string_string", "replace", receiver: true, [.string, .string, .string], .string,
      cost: Cost.search,
      .ternary { a, b, c in
        guard case .string(let s) = a, case .string(let o) = b, case .string(let n) = c else {
          return noOverload("replace", a, b, c)
        }
        return .string(replace(s, o, n, -1))
      }),
    Overload(
      "string_replace_string_string_int", "replace", receiver: true, [.string, .string, .string, .int],
      .string, cost: Cost.search,
      .nary { args in
        guard args.count == 4, case .string(let s) = args[0], case .string(let o) = args[1],
          case .string(let n) = args[2], case .int(let k) = args[3]
        else { return .error(.noOverload("replace", args)) }
        return .string(replace(s, o, n, k))
      }),
    Overload(
      "string_split_string", "split", receiver: true, [.string, .string], T.listString, cost: Cost.search,
      .binary { a, b in
        guard case .string(let s) = a, case .string(let p) = b else { return noOverload("split", a, b) }
        return .list(split(s, p, -1))
      }),
    Overload(
      "string_split_string_int", "split", receiver: true, [.string, .string, .int], T.listString,
      cost: Cost.search,
      .ternary { a, b, c in
        guard case .string(let s) = a, case .string(let p) = b, case .int(let n) = c else {
          return noOverload("split", a, b, c)
        }
        return .list(split(s, p, n))
      }),
    Overload(
      "string_substring_int", "substring", receiver: true, [.string, .int], .string, cost: Cost.linear,
      .binary { a, b in
        guard case .string(let s) = a, case .int(let i) = b else { return noOverload("substring", a, b) }
        return substring(s, i, nil)
      }),
    Overload(
      "string_substring_int_int", "substring", receiver: true, [.string, .int, .int], .string,
      cost: Cost.linear,
      .ternary { a, b, c in
        guard case .string(let s) = a, case .int(let i) = b, case .int(let j) = c else {
          return noOverload("substring", a, b, c)
        }
        return substring(s, i, j)
      }),
    Overload(
      "string_trim", "trim", receiver: true, [.string], .string, cost: Cost.linear,
      .unary { a in
        guard case .string(let s) = a else { return noOverload("trim", a) }
        return .string(trim(s))
      }),
    Overload(
      "string_reverse", "reverse", receiver: true, [.string], .string, cost: Cost.linear,
      .unary { a in
        guard case .string(let s) = a else { return noOverload("reverse", a) }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: s.unicodeScalars.reversed())
        return .string(String(out))
      }),
    Overload(
      "list_join", "join", receiver: true, [T.listString], .string, cost: Cost.linear,
      .unary { a in join(a, "", "join") }),
    Overload(
      "list_join_string", "join", receiver: true, [T.listString, .string], .string, cost: Cost.linear,
      .binary { a, b in
        guard case .string(let sep) = b else { return noOverload("join", a, b) }
        return join(a, sep, "join")
      }),
    Overload(
      "strings_quote", "strings.quote", [.string], .string, cost: Cost.linear,
      .unary { a in
        guard case .string(let s) = a else { return noOverload("strings.quote", a) }
        return .string(quote(s))
      }),
  ]
}
