// `matches` (langdef "Regular Expressions"): RE2 syntax, matching a substring of the input
// (anchor with `^`/`$` for a full match). Implemented with Swift's `Regex`, after a translation
// pass that makes it behave like RE2:
//
// * matching is on Unicode scalars (code points), as RE2 on UTF-8 — not on grapheme clusters;
// * `\d \s \w \b` and POSIX classes (`[[:alpha:]]`) are ASCII-only, as in RE2;
// * `.` excludes only `\n` (Swift's also excludes `\r` and other line terminators);
// * RE2 features are rewritten: `\pL` → `\p{L}`, octal `\123` → `\x{53}`;
// * constructs RE2 rejects are rejected (invalid pattern → error value): lookaround `(?=`,
//   `(?!`, `(?<=`, `(?<!`, atomic groups `(?>`, backreferences `\1` `\k<n>` `(?P=n)`, possessive
//   or doubled quantifiers (`a*+`, `a**`), repeat counts above 1000, flags other than `imsU`,
//   `\C` and `\Z`; literal `{`, `}` and `]` are escaped so Swift reads them as RE2 does.
//
// Remaining differences from RE2: Swift's engine backtracks, so pathological patterns such as
// `(a*)*b` can take exponential time where RE2 is linear; inside `(?s:…)` groups Swift's `.`
// semantics apply; negated POSIX classes (`[[:^alpha:]]`) and `\p{…}` use Unicode data whose
// version may differ from RE2's; case folding follows Swift's Unicode tables.
//
// Compiled patterns are cached process-wide (thread-safe, bounded).

import SentinelModel
import Synchronization

/// A compiled pattern (or its compile error), shared across threads. Swift's `Regex` is not
/// declared `Sendable`, but a compiled, already-used regex is immutable: each match builds its
/// own matcher state.
final class CompiledPattern: @unchecked Sendable {
  let regex: Regex<AnyRegexOutput>?
  let error: String?
  /// The pattern's fast form, when it is a simple pattern (SimplePattern.swift) and valid: nil
  /// whenever `regex` is (so a `simple` answer never hides the compile error).
  let simple: SimplePattern?

  init(_ pattern: String) {
    switch RE2Translator.translate(pattern) {
    case .failure(let e):
      regex = nil
      simple = nil
      error = "invalid regular expression '\(pattern)': \(e.message)"
    case .success(let translated):
      let fast = SimplePattern(pattern)
      do {
        let r = try Regex(translated)
          .matchingSemantics(.unicodeScalar)
          .asciiOnlyCharacterClasses()
          .wordBoundaryKind(.simple)
        _ = try? r.firstMatch(in: "")  // compile eagerly, before the regex is shared
        regex = r
        simple = fast
        error = nil
      } catch {
        regex = nil
        simple = nil
        self.error = "invalid regular expression '\(pattern)': \(error)"
      }
    }
  }

  /// `s.matches(pattern)`: whether the pattern matches a substring; an error for a bad pattern.
  func matches(_ s: String) -> Value {
    // NOTE: the simple form first, read in place (`simple?.`): binding `regex` or `simple` to a
    // local copied it — a retain and release of the regex's storage and of the pattern's items
    // on every call (docs/performance.md, session 14).
    if let matched = simple?.matches(s) { return .bool(matched) }
    guard let r = regex else { return err(.invalidArgument, error ?? "invalid regular expression") }
    do {
      return .bool(try r.firstMatch(in: s) != nil)
    } catch {
      return err(.invalidArgument, "regular expression failed: \(error)")
    }
  }
}

/// A pattern compiled once, for `matches` with a constant pattern: the VM's `test.vk` holds one
/// per instruction instead of looking the pattern up in the cache on every call.
public struct ConstantPattern: Sendable {
  let compiled: CompiledPattern

  /// Compiles `pattern` (or records its compile error, which `matches` then returns).
  public init(_ pattern: String) { compiled = RegexCache.compiled(pattern) }

  /// `s.matches(pattern)`, the same as the `matches` builtin.
  public func matches(_ s: String) -> Value { compiled.matches(s) }

  /// `matches` on a string's UTF-8 bytes when the pattern's simple form decides it (a valid
  /// simple pattern, printable-ASCII bytes): the answer `matches(_:)` gives for that string.
  /// Nil when only the full engine (or the compile error) answers: then call `matches(_:)`.
  public func matches(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Bool? { compiled.simple?.matches(bytes) }
}

enum RegexCache {
  private static let cache = Mutex<[String: CompiledPattern]>([:])
  private static let capacity = 512

  /// The compiled form of a pattern, from the cache when possible.
  static func compiled(_ pattern: String) -> CompiledPattern {
    if let hit = cache.withLock({ $0[pattern] }) { return hit }
    let c = CompiledPattern(pattern)
    cache.withLock { table in
      if table.count >= capacity { table.removeAll(keepingCapacity: true) }
      table[pattern] = c
    }
    return c
  }

  /// `s.matches(pattern)`: whether the pattern matches a substring; an error for a bad pattern.
  static func matches(_ s: String, _ pattern: String) -> Value {
    compiled(pattern).matches(s)
  }
}

/// Rewrites an RE2 pattern into Swift regex syntax with RE2's meaning, or rejects it.
enum RE2Translator {
  struct Failure: Error {
    let message: String
  }

  static func translate(_ pattern: String) -> Result<String, Failure> {
    var p = Translator(Array(pattern.unicodeScalars))
    do {
      try p.run()
      return .success(p.out)
    } catch let e as Failure {
      return .failure(e)
    } catch {
      return .failure(Failure(message: "\(error)"))
    }
  }

  private struct Translator {
    let s: [Unicode.Scalar]
    var i = 0
    var out = ""
    var dotAll = false

    init(_ s: [Unicode.Scalar]) { self.s = s }

    func peek(_ k: Int = 0) -> Unicode.Scalar? { i + k < s.count ? s[i + k] : nil }
    func fail(_ m: String) -> Failure { Failure(message: m) }
    static func isOctal(_ c: Unicode.Scalar?) -> Bool { c.map { $0 >= "0" && $0 <= "7" } ?? false }
    static func isDigit(_ c: Unicode.Scalar?) -> Bool { c.map { $0 >= "0" && $0 <= "9" } ?? false }

    mutating func run() throws {
      var afterRepeat = false  // the previous item was a quantifier
      while let c = peek() {
        switch c {
        case "\\":
          try escape(inClass: false)
          afterRepeat = false
        case "[":
          try charClass()
          afterRepeat = false
        case "(":
          try group()
          afterRepeat = false
        case ".":
          out += dotAll ? "." : "[^\\n]"
          i += 1
          afterRepeat = false
        case "*", "+", "?":
          if afterRepeat { throw fail("bad repetition operator: \(c)") }
          out.unicodeScalars.append(c)
          i += 1
          if peek() == "?" {
            out += "?"
            i += 1
          }
          afterRepeat = true
        case "{":
          if let (text, lo, hi) = repetition() {
            if afterRepeat { throw fail("bad repetition operator: \(text)") }
            if lo > 1000 || (hi ?? lo) > 1000 { throw fail("bad repetition operator: \(text)") }
            if let hi, hi < lo { throw fail("bad repetition operator: \(text)") }
            out += text
            if peek() == "?" {
              out += "?"
              i += 1
            }
            afterRepeat = true
          } else {
            out += "\\{"
            i += 1
            afterRepeat = false
          }
        case "}", "]":
          out += "\\"
          out.unicodeScalars.append(c)
          i += 1
          afterRepeat = false
        default:
          out.unicodeScalars.append(c)
          i += 1
          afterRepeat = false
        }
      }
    }

    /// `{n}`, `{n,}` or `{n,m}` at `i`: consumes it and returns its text and bounds.
    mutating func repetition() -> (String, Int, Int?)? {
      var j = i + 1
      func number() -> Int? {
        var v = 0
        var n = 0
        while j < s.count, Translator.isDigit(s[j]) {
          v = min(v * 10 + Int(s[j].value - 48), 100_000)
          j += 1
          n += 1
        }
        return n > 0 ? v : nil
      }
      guard let lo = number() else { return nil }
      var hi: Int? = lo
      if j < s.count && s[j] == "," {
        j += 1
        hi = number()
      }
      guard j < s.count, s[j] == "}" else { return nil }
      var text = ""
      text.unicodeScalars.append(contentsOf: s[i...j])
      i = j + 1
      return (text, lo, hi)
    }

    mutating func group() throws {
      i += 1  // "("
      guard peek() == "?" else {
        out += "("
        return
      }
      let next = peek(1)
      switch next {
      case "=", "!", ">":
        throw fail("lookaround and atomic groups are not supported")
      case "<":
        if peek(2) == "=" || peek(2) == "!" { throw fail("lookbehind is not supported") }
        out += "(?<"  // named group (?<name>re)
        i += 2
      case "P":
        guard peek(2) == "<" else { throw fail("invalid named capture group") }
        out += "(?P<"
        i += 3
      default:
        // Flags: (?flags) or (?flags:re), flags from i, m, s, U with an optional '-'.
        var j = i + 1
        var text = "(?"
        while j < s.count, s[j] != ")", s[j] != ":" {
          let f = s[j]
          guard f == "i" || f == "m" || f == "s" || f == "U" || f == "-" else {
            throw fail("invalid or unsupported flag group")
          }
          if f == "s" { dotAll = true }
          text.unicodeScalars.append(f)
          j += 1
        }
        // `(?:re)` is a plain non-capturing group; `(?)` is an error.
        guard j < s.count, j > i + 1 || s[j] == ":" else { throw fail("missing closing ) or empty flags") }
        text.unicodeScalars.append(s[j])
        out += text
        i = j + 1
      }
    }

    mutating func escape(inClass: Bool) throws {
      i += 1  // "\\"
      guard let c = peek() else { throw fail("trailing \\") }
      switch c {
      case "1"..."7" where !Translator.isOctal(peek(1)):
        throw fail("backreferences are not supported")
      case "0"..."7":
        var v: UInt32 = 0
        var n = 0
        while n < 3, Translator.isOctal(peek()) {
          v = v * 8 + (peek()?.value ?? 48) - 48
          i += 1
          n += 1
        }
        out += "\\x{" + String(v, radix: 16) + "}"
      case "8", "9":
        throw fail("invalid escape sequence: \\\(c)")
      case "x" where peek(1) == "{":
        // \x{hex}: copy through the closing brace (the brace is not a repetition).
        out += "\\x{"
        i += 2
        while let d = peek(), d != "}" {
          guard d.properties.isASCIIHexDigit else { throw fail("invalid escape sequence: \\x{") }
          out.unicodeScalars.append(d)
          i += 1
        }
        guard peek() == "}" else { throw fail("missing } in \\x{...}") }
        out += "}"
        i += 1
      case "p", "P":
        i += 1
        if peek() == "{" {
          out += "\\"
          out.unicodeScalars.append(c)
          while let d = peek(), d != "}" {
            out.unicodeScalars.append(d)
            i += 1
          }
          guard peek() == "}" else { throw fail("missing } in \\p{...}") }
          out += "}"
          i += 1
        } else if let name = peek() {
          out += "\\" + String(Character(c)) + "{" + String(Character(name)) + "}"
          i += 1
        } else {
          throw fail("invalid escape sequence: \\\(c)")
        }
      case "Q" where !inClass:
        // \Q...\E: literal text.
        i += 1
        while let d = peek() {
          if d == "\\" && peek(1) == "E" {
            i += 2
            return
          }
          if d.properties.isAlphabetic || Translator.isDigit(d) || d == " " || d.value > 127 {
            out.unicodeScalars.append(d)
          } else {
            out += "\\"
            out.unicodeScalars.append(d)
          }
          i += 1
        }
      default:
        // RE2 knows these letter escapes; any other letter or digit escape is an error
        // (punctuation escapes stand for themselves).
        let isWord = c.properties.isAlphabetic || c == "_"
        if isWord && c.value < 128 && !"aftnrvxdDsSwWbBAz".unicodeScalars.contains(c) {
          throw fail("invalid escape sequence: \\\(c)")
        }
        out += "\\"
        out.unicodeScalars.append(c)
        i += 1
      }
    }

    /// ASCII ranges of the POSIX classes, as RE2 defines them.
    static let posix: [String: String] = [
      "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x{0}-\\x{7f}", "blank": "\\t ",
      "cntrl": "\\x{0}-\\x{1f}\\x{7f}", "digit": "0-9", "graph": "!-~", "lower": "a-z",
      "print": " -~", "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\x{b}\\f\\r ", "upper": "A-Z",
      "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
    ]

    mutating func charClass() throws {
      out += "["
      i += 1
      if peek() == "^" {
        out += "^"
        i += 1
      }
      if peek() == "]" {
        out += "\\]"
        i += 1
      }
      while let c = peek() {
        switch c {
        case "]":
          out += "]"
          i += 1
          return
        case "\\":
          try escape(inClass: true)
        case "[":
          if peek(1) == ":" {
            var j = i + 2
            var name = ""
            while j < s.count, s[j] != ":" {
              name.unicodeScalars.append(s[j])
              j += 1
            }
            guard j + 1 < s.count, s[j + 1] == "]" else { throw fail("invalid character class") }
            if let ranges = Translator.posix[name] {
              out += ranges
            } else if name.hasPrefix("^"), Translator.posix[String(name.dropFirst())] != nil {
              out += "[:" + name + ":]"
            } else {
              throw fail("invalid character class range: [:\(name):]")
            }
            i = j + 2
          } else {
            out += "\\["
            i += 1
          }
        case "&", "~":
          // Swift reads `&&` and `~~` as set operations; RE2 as literals.
          out += "\\"
          out.unicodeScalars.append(c)
          i += 1
        default:
          out.unicodeScalars.append(c)
          i += 1
        }
      }
      throw fail("missing closing ]")
    }
  }
}
