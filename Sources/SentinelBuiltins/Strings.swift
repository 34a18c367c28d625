// String and bytes functions of the standard library (langdef "String Functions",
// "Bytes Functions"): `size` (code points / bytes), `contains`, `startsWith`, `endsWith` and
// `matches`. All searches work on code points (UTF-8 bytes), never on grapheme clusters:
// `"e\u0301".startsWith("e")` is true.

import SentinelModel

enum Strings {
  static let overloads: [Overload] = [
    // MARK: size
    Overload(
      "size_string", "size", [.string], .int, cost: Cost.linear,
      .unary { a in
        guard case .string(let s) = a else { return noOverload("size", a) }
        return .int(Int64(codePointCount(s)))
      }),
    Overload(
      "string_size", "size", receiver: true, [.string], .int, cost: Cost.linear,
      .unary { a in
        guard case .string(let s) = a else { return noOverload("size", a) }
        return .int(Int64(codePointCount(s)))
      }),
    Overload(
      "size_bytes", "size", [.bytes], .int,
      .unary { a in
        guard case .bytes(let b) = a else { return noOverload("size", a) }
        return .int(Int64(b.count))
      }),
    Overload(
      "bytes_size", "size", receiver: true, [.bytes], .int,
      .unary { a in
        guard case .bytes(let b) = a else { return noOverload("size", a) }
        return .int(Int64(b.count))
      }),

    // MARK: contains / startsWith / endsWith
    Overload(
      "contains_string", "contains", receiver: true, [.string, .string], .bool, cost: Cost.search,
      .binary { a, b in
        guard case .string(let s) = a, case .string(let t) = b else { return noOverload("contains", a, b) }
        return .bool(stringContains(s, t))
      }),
    Overload(
      "starts_with_string", "startsWith", receiver: true, [.string, .string], .bool, cost: Cost.linear,
      .binary { a, b in
        guard case .string(let s) = a, case .string(let t) = b else { return noOverload("startsWith", a, b) }
        return .bool(stringHasPrefix(s, t))
      }),
    Overload(
      "ends_with_string", "endsWith", receiver: true, [.string, .string], .bool, cost: Cost.linear,
      .binary { a, b in
        guard case .string(let s) = a, case .string(let t) = b else { return noOverload("endsWith", a, b) }
        return .bool(stringHasSuffix(s, t))
      }),

    // MARK: matches
    Overload(
      "matches", "matches", [.string, .string], .bool, cost: Cost.regex, kernel: .matches,
      .binary { a, b in
        guard case .string(let s) = a, case .string(let p) = b else { return noOverload("matches", a, b) }
        return RegexCache.matches(s, p)
      }),
    Overload(
      "matches_string", "matches", receiver: true, [.string, .string], .bool, cost: Cost.regex,
      kernel: .matches,
      .binary { a, b in
        guard case .string(let s) = a, case .string(let p) = b else { return noOverload("matches", a, b) }
        return RegexCache.matches(s, p)
      }),
  ]
}
