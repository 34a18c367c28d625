// The lexis of the rule DSL outside embedded CEL: identifiers, string literals (CEL's own
// string syntax), numbers, punctuation, `//` comments and line starts.
//
// Works on `Source.utf8` bytes and lexes on demand: the parser asks for one token at a time and
// can move the lexer (to carve out CEL text with `CELExtent`, or to peek ahead). Comments are
// recorded as they are skipped; moving back forgets the ones recorded past the new position, so
// every comment is recorded exactly once. The lexer reports nothing itself: erroneous tokens
// (`invalid`, `unterminatedString`) are reported by the parser when it reaches them.

import SentinelModel

/// What a rule-DSL token is.
enum RuleTokenKind: Equatable {
  /// `[A-Za-z_][A-Za-z0-9_]*`.
  case identifier
  /// A complete CEL string literal: quoted, triple-quoted, or with an `r`/`b` prefix.
  case string
  /// A string literal without its closing quote (up to the end of its line, or of the input).
  case unterminatedString
  /// Decimal digits.
  case integer
  /// A number with a fraction or an exponent (`1.5`, `1e3`).
  case number
  /// One punctuation byte: `{ } [ ] ( ) : , = ? . + -`.
  case punct(UInt8)
  /// A character that starts no token.
  case invalid
  /// The end of the input.
  case endOfInput
}

/// A rule-DSL token.
struct RuleToken {
  var kind: RuleTokenKind
  var span: Span
  /// Whether the token is the first on its line (or the first of the input).
  var atLineStart: Bool

  func isPunct(_ b: UInt8) -> Bool { kind == .punct(b) }
}

/// Bytes the DSL scanners look at, by name.
enum Byte {
  static let tab: UInt8 = 0x09
  static let newline: UInt8 = 0x0A
  static let formFeed: UInt8 = 0x0C
  static let carriageReturn: UInt8 = 0x0D
  static let space: UInt8 = 0x20
  static let doubleQuote: UInt8 = 0x22
  static let singleQuote: UInt8 = 0x27
  static let leftParen: UInt8 = 0x28
  static let rightParen: UInt8 = 0x29
  static let plus: UInt8 = 0x2B
  static let comma: UInt8 = 0x2C
  static let minus: UInt8 = 0x2D
  static let dot: UInt8 = 0x2E
  static let slash: UInt8 = 0x2F
  static let colon: UInt8 = 0x3A
  static let equals: UInt8 = 0x3D
  static let question: UInt8 = 0x3F
  static let leftBracket: UInt8 = 0x5B
  static let backslash: UInt8 = 0x5C
  static let rightBracket: UInt8 = 0x5D
  static let backquote: UInt8 = 0x60
  static let leftBrace: UInt8 = 0x7B
  static let rightBrace: UInt8 = 0x7D

  @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
  @inline(__always) static func isIdentStart(_ b: UInt8) -> Bool { CELWords.isIdentStart(b) }
  @inline(__always) static func isIdentContinue(_ b: UInt8) -> Bool { CELWords.isIdentContinue(b) }
  @inline(__always) static func isSpace(_ b: UInt8) -> Bool {
    b == space || b == tab || b == carriageReturn || b == formFeed
  }
  @inline(__always) static func isWhitespace(_ b: UInt8) -> Bool { isSpace(b) || b == newline }

  /// The number of bytes of the UTF-8 sequence that starts with `b` (1 for stray bytes).
  @inline(__always) static func sequenceLength(_ b: UInt8) -> Int {
    switch b {
    case 0xF0...0xF7: return 4
    case 0xE0...0xEF: return 3
    case 0xC0...0xDF: return 2
    default: return 1
    }
  }

  /// Whether `prefix` (the identifier bytes right before a quote) is a CEL string prefix
  /// (`r`, `b`, `br`, `rb` in any case), and whether it makes the literal raw.
  static func stringPrefix(_ bytes: ArraySlice<UInt8>) -> (isPrefix: Bool, raw: Bool) {
    guard bytes.count <= 2, !bytes.isEmpty else { return (false, false) }
    var raw = false
    for b in bytes {
      switch b | 0x20 {
      case 0x72: raw = true
      case 0x62: break
      default: return (false, false)
      }
    }
    if bytes.count == 2 && (bytes.first ?? 0) | 0x20 == (bytes.last ?? 0) | 0x20 { return (false, false) }
    return (true, raw)
  }
}

/// Scans a CEL-syntax string literal whose opening quote is at `quoteAt`; returns the position
/// after it and whether it was terminated. Shared by the DSL lexer and the CEL extent scanner.
func scanStringLiteral(_ bytes: [UInt8], quoteAt: Int, raw: Bool) -> (end: Int, terminated: Bool) {
  let count = bytes.count
  guard quoteAt < count else { return (count, false) }
  let quote = bytes[quoteAt]
  let triple = quoteAt + 2 < count && bytes[quoteAt + 1] == quote && bytes[quoteAt + 2] == quote
  var pos = quoteAt + (triple ? 3 : 1)
  while pos < count {
    let c = bytes[pos]
    if c == quote {
      if !triple { return (pos + 1, true) }
      if pos + 2 < count && bytes[pos + 1] == quote && bytes[pos + 2] == quote { return (pos + 3, true) }
      pos += 1
      continue
    }
    if !triple && (c == Byte.newline || c == Byte.carriageReturn) { return (pos, false) }
    if c == Byte.backslash && !raw {
      let next = pos + 1 < count ? bytes[pos + 1] : 0
      // A backslash never escapes a line break (CEL reports it; the break ends a short literal).
      pos += (next == Byte.newline || next == Byte.carriageReturn || next == 0) ? 1 : 2
      continue
    }
    pos += 1
  }
  return (count, false)
}

/// The on-demand lexer of the rule DSL.
struct RuleLexer {
  let bytes: [UInt8]
  private(set) var pos = 0
  /// Comments skipped so far, in order: each from `//` to the end of its line (trailing
  /// whitespace removed).
  private(set) var comments: [Located<String>] = []

  /// Where the text starts: after a UTF-8 byte order mark, if any (or a chunk's start).
  private(set) var textStart: Int

  init(bytes: [UInt8]) {
    self.bytes = bytes
    textStart = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    pos = textStart
  }

  /// A lexer over the part of a file that starts at `start` (a line start) and ends where
  /// `bytes` ends (`bytes` is the file's prefix): offsets stay the file's.
  init(bytes: [UInt8], start: Int) {
    self.init(bytes: bytes)
    textStart = max(textStart, min(start, bytes.count))
    pos = textStart
  }

  /// The byte at `i`, or 0 past the end.
  @inline(__always) func byte(_ i: Int) -> UInt8 { i >= 0 && i < bytes.count ? bytes[i] : 0 }

  /// The text of a byte range (clamped to the input).
  func text(_ span: Span) -> String {
    let s = max(0, min(span.start, bytes.count))
    let e = max(s, min(span.end, bytes.count))
    return String(decoding: bytes[s..<e], as: UTF8.self)
  }

  /// Moves to `position`, forgetting the comments recorded at or after it.
  mutating func move(to position: Int) {
    pos = max(textStart, min(position, bytes.count))
    while let last = comments.last, last.span.start >= pos { comments.removeLast() }
  }

  /// Skips whitespace and comments (recording the comments); returns whether a line break was
  /// skipped.
  @discardableResult
  mutating func skipTrivia() -> Bool {
    var sawNewline = false
    while pos < bytes.count {
      let b = bytes[pos]
      if b == Byte.newline {
        sawNewline = true
        pos += 1
      } else if Byte.isSpace(b) {
        pos += 1
      } else if b == Byte.slash && byte(pos + 1) == Byte.slash {
        let start = pos
        while pos < bytes.count && bytes[pos] != Byte.newline { pos += 1 }
        var end = pos
        while end > start && Byte.isSpace(bytes[end - 1]) { end -= 1 }
        comments.append(Located(text(Span(start, end)), Span(start, end)))
      } else {
        break
      }
    }
    return sawNewline
  }

  /// Whether the byte before `position` on its line is the line's start (only blanks before it).
  func isAtLineStart(_ position: Int) -> Bool {
    var i = position - 1
    while i >= textStart {
      let b = bytes[i]
      if b == Byte.newline { return true }
      if !Byte.isSpace(b) { return false }
      i -= 1
    }
    return true
  }

  /// Lexes the next token.
  mutating func next() -> RuleToken {
    let newline = skipTrivia()
    let start = pos
    let lineStart = newline || isAtLineStart(start)
    guard pos < bytes.count else {
      return RuleToken(kind: .endOfInput, span: Span(start, start), atLineStart: true)
    }
    let b = bytes[pos]
    let kind: RuleTokenKind
    if Byte.isIdentStart(b) {
      while pos < bytes.count && Byte.isIdentContinue(bytes[pos]) { pos += 1 }
      let q = byte(pos)
      let prefix = Byte.stringPrefix(bytes[start..<pos])
      if (q == Byte.doubleQuote || q == Byte.singleQuote) && prefix.isPrefix {
        let (end, terminated) = scanStringLiteral(bytes, quoteAt: pos, raw: prefix.raw)
        pos = end
        kind = terminated ? .string : .unterminatedString
      } else {
        kind = .identifier
      }
    } else if Byte.isDigit(b) {
      kind = scanNumber()
    } else if b == Byte.doubleQuote || b == Byte.singleQuote {
      let (end, terminated) = scanStringLiteral(bytes, quoteAt: pos, raw: false)
      pos = end
      kind = terminated ? .string : .unterminatedString
    } else {
      switch b {
      case Byte.leftBrace, Byte.rightBrace, Byte.leftBracket, Byte.rightBracket, Byte.leftParen,
        Byte.rightParen, Byte.colon, Byte.comma, Byte.equals, Byte.question, Byte.dot, Byte.plus,
        Byte.minus:
        pos += 1
        kind = .punct(b)
      default:
        pos = min(pos + Byte.sequenceLength(b), bytes.count)
        kind = .invalid
      }
    }
    return RuleToken(kind: kind, span: Span(start, pos), atLineStart: lineStart)
  }

  /// Scans `digits [. digits] [(e|E) [+|-] digits]`.
  private mutating func scanNumber() -> RuleTokenKind {
    var isDouble = false
    while Byte.isDigit(byte(pos)) { pos += 1 }
    if byte(pos) == Byte.dot && Byte.isDigit(byte(pos + 1)) {
      isDouble = true
      pos += 1
      while Byte.isDigit(byte(pos)) { pos += 1 }
    }
    if byte(pos) | 0x20 == 0x65 {
      let sign = byte(pos + 1)
      let digitAt = (sign == Byte.plus || sign == Byte.minus) ? pos + 2 : pos + 1
      if Byte.isDigit(byte(digitAt)) {
        isDouble = true
        pos = digitAt
        while Byte.isDigit(byte(pos)) { pos += 1 }
      }
    }
    return isDouble ? .number : .integer
  }
}
