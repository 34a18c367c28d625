// The CEL lexer: UTF-8 bytes → tokens (cel-spec langdef.md, "Syntax", the lexis).
//
// Works on `Source.utf8` byte by byte (never on `Character`s). Every literal is decoded here:
// numbers to their values, strings and bytes with their escapes. Lexical errors become
// diagnostics; the lexer always reaches the end of the input and ends with `.endOfInput`.

import SentinelModel

/// Turns CEL source text into tokens.
public enum Lexer {
  /// The tokens of `source` (ending with `.endOfInput`) and the lexical diagnostics.
  public static func tokenize(_ source: Source) -> (tokens: [Token], diagnostics: [Diagnostic]) {
    var scanner = Scanner(bytes: source.utf8)
    scanner.run()
    return (scanner.tokens, scanner.diagnostics)
  }
}

// ASCII bytes the scanner looks at, by name.
private enum ASCII {
  static let tab: UInt8 = 0x09
  static let newline: UInt8 = 0x0A
  static let formFeed: UInt8 = 0x0C
  static let carriageReturn: UInt8 = 0x0D
  static let space: UInt8 = 0x20
  static let doubleQuote: UInt8 = 0x22
  static let singleQuote: UInt8 = 0x27
  static let backslash: UInt8 = 0x5C
  static let backquote: UInt8 = 0x60
  static let dot: UInt8 = 0x2E
  static let slash: UInt8 = 0x2F
  static let zero: UInt8 = 0x30
  static let nine: UInt8 = 0x39
}

@inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= ASCII.zero && b <= ASCII.nine }

@inline(__always) private func hexValue(_ b: UInt8) -> UInt32? {
  switch b {
  case 0x30...0x39: return UInt32(b - 0x30)
  case 0x61...0x66: return UInt32(b - 0x61 + 10)
  case 0x41...0x46: return UInt32(b - 0x41 + 10)
  default: return nil
  }
}

/// The number of bytes of the UTF-8 sequence that starts with `b` (1 for stray bytes).
@inline(__always) private func utf8Length(_ b: UInt8) -> Int {
  switch b {
  case 0xF0...0xF7: return 4
  case 0xE0...0xEF: return 3
  case 0xC0...0xDF: return 2
  default: return 1
  }
}

/// Appends the UTF-8 encoding of a Unicode scalar value (the caller checked it is one).
private func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
  switch v {
  case 0..<0x80:
    out.append(UInt8(v))
  case 0x80..<0x800:
    out.append(UInt8(0xC0 | (v >> 6)))
    out.append(UInt8(0x80 | (v & 0x3F)))
  case 0x800..<0x10000:
    out.append(UInt8(0xE0 | (v >> 12)))
    out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
    out.append(UInt8(0x80 | (v & 0x3F)))
  default:
    out.append(UInt8(0xF0 | (v >> 18)))
    out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
    out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
    out.append(UInt8(0x80 | (v & 0x3F)))
  }
}

private struct Scanner {
  let bytes: [UInt8]
  var pos = 0
  var tokens: [Token] = []
  var diagnostics: [Diagnostic] = []

  init(bytes: [UInt8]) {
    self.bytes = bytes
    tokens.reserveCapacity(bytes.count / 3 + 1)
  }

  /// The byte at `i`, or 0 past the end (0 never starts or continues any token).
  @inline(__always) func byte(_ i: Int) -> UInt8 { i < bytes.count ? bytes[i] : 0 }

  /// The source text of a byte range, for messages.
  func text(_ start: Int, _ end: Int) -> String {
    let s = max(0, min(start, bytes.count))
    let e = max(s, min(end, bytes.count))
    return String(decoding: bytes[s..<e], as: UTF8.self)
  }

  mutating func error(_ code: String, _ message: String, _ start: Int, _ end: Int, help: String? = nil) {
    diagnostics.append(.error(code, message, at: Span(start, end), help: help))
  }

  mutating func emit(_ kind: TokenKind, _ start: Int) {
    tokens.append(Token(kind, Span(start, pos)))
  }

  mutating func run() {
    while true {
      skipTrivia()
      guard pos < bytes.count else { break }
      scanToken()
    }
    tokens.append(Token(.endOfInput, Span(bytes.count, bytes.count)))
  }

  /// Skips whitespace (`[\t\n\f\r ]`) and `//` comments.
  mutating func skipTrivia() {
    while pos < bytes.count {
      switch bytes[pos] {
      case ASCII.space, ASCII.tab, ASCII.newline, ASCII.formFeed, ASCII.carriageReturn:
        pos += 1
      case ASCII.slash where byte(pos + 1) == ASCII.slash:
        while pos < bytes.count && bytes[pos] != ASCII.newline { pos += 1 }
      default:
        return
      }
    }
  }

  mutating func scanToken() {
    let start = pos
    let b = bytes[pos]
    if CELWords.isIdentStart(b) {
      scanIdentifierOrPrefixedString()
      return
    }
    if isDigit(b) || (b == ASCII.dot && isDigit(byte(pos + 1))) {
      scanNumber()
      return
    }
    if b == ASCII.doubleQuote || b == ASCII.singleQuote {
      scanString(start: start, raw: false, isBytes: false)
      return
    }
    if b == ASCII.backquote {
      scanEscapedIdentifier()
      return
    }
    pos += 1
    let next = byte(pos)
    let kind: TokenKind
    switch b {
    case 0x28: kind = .leftParen
    case 0x29: kind = .rightParen
    case 0x5B: kind = .leftBracket
    case 0x5D: kind = .rightBracket
    case 0x7B: kind = .leftBrace
    case 0x7D: kind = .rightBrace
    case 0x2E: kind = .dot
    case 0x2C: kind = .comma
    case 0x3A: kind = .colon
    case 0x3F: kind = .question
    case 0x2B: kind = .plus
    case 0x2D: kind = .minus
    case 0x2A: kind = .star
    case 0x2F: kind = .slash
    case 0x25: kind = .percent
    case 0x21:
      if next == 0x3D {
        pos += 1
        kind = .notEqual
      } else {
        kind = .bang
      }
    case 0x3C:
      if next == 0x3D {
        pos += 1
        kind = .lessEqual
      } else {
        kind = .less
      }
    case 0x3E:
      if next == 0x3D {
        pos += 1
        kind = .greaterEqual
      } else {
        kind = .greater
      }
    case 0x3D where next == 0x3D:
      pos += 1
      kind = .equal
    case 0x26 where next == 0x26:
      pos += 1
      kind = .and
    case 0x7C where next == 0x7C:
      pos += 1
      kind = .or
    default:
      pos = start + utf8Length(b)
      if pos > bytes.count { pos = bytes.count }
      let help: String?
      switch b {
      case 0x3D: help = "use `==` to compare values"
      case 0x26: help = "use `&&` for logical and"
      case 0x7C: help = "use `||` for logical or"
      default: help = nil
      }
      error(
        SyntaxCode.unexpectedCharacter, "unexpected character `\(text(start, pos))`", start, pos, help: help)
      kind = .invalid
    }
    emit(kind, start)
  }

  // MARK: - Identifiers

  mutating func scanIdentifierOrPrefixedString() {
    let start = pos
    while pos < bytes.count && CELWords.isIdentContinue(bytes[pos]) { pos += 1 }
    let length = pos - start
    let quote = byte(pos)
    if length <= 2 && (quote == ASCII.doubleQuote || quote == ASCII.singleQuote) {
      // String prefixes: r/R (raw), b/B (bytes), and b followed by r (raw bytes).
      let first = bytes[start] | 0x20
      let second: UInt8 = length == 2 ? bytes[start + 1] | 0x20 : 0
      switch (first, second) {
      case (0x72, 0):
        scanString(start: start, raw: true, isBytes: false)
        return
      case (0x62, 0):
        scanString(start: start, raw: false, isBytes: true)
        return
      case (0x62, 0x72):
        scanString(start: start, raw: true, isBytes: true)
        return
      case (0x72, 0x62):
        error(
          SyntaxCode.invalidLiteralPrefix, "invalid literal prefix `\(text(start, pos))`", start, pos,
          help: "a raw bytes literal is written with the bytes prefix first: `br'...'`")
        scanString(start: start, raw: true, isBytes: true)
        return
      default: break
      }
    }
    let name = text(start, pos)
    switch name {
    case "true": emit(.trueKeyword, start)
    case "false": emit(.falseKeyword, start)
    case "null": emit(.nullKeyword, start)
    case "in": emit(.inKeyword, start)
    default: emit(.identifier(name), start)
    }
  }

  /// `` `name` ``: letters, digits, `_`, `.`, `-`, `/` and spaces between backquotes.
  mutating func scanEscapedIdentifier() {
    let start = pos
    pos += 1
    var bad: Int? = nil
    while pos < bytes.count {
      let b = bytes[pos]
      if b == ASCII.backquote || b == ASCII.newline || b == ASCII.carriageReturn { break }
      let ok =
        CELWords.isIdentContinue(b) || b == ASCII.dot || b == 0x2D || b == ASCII.slash || b == ASCII.space
      if !ok && bad == nil { bad = pos }
      pos += ok ? 1 : utf8Length(b)
    }
    if pos > bytes.count { pos = bytes.count }
    guard byte(pos) == ASCII.backquote else {
      error(SyntaxCode.invalidEscapedIdentifier, "unterminated backquoted identifier", start, pos)
      emit(.invalid, start)
      return
    }
    pos += 1
    let name = text(start + 1, pos - 1)
    if let bad {
      let end = min(bad + utf8Length(bytes[bad]), bytes.count)
      error(
        SyntaxCode.invalidEscapedIdentifier,
        "invalid character `\(text(bad, end))` in backquoted identifier", bad, end,
        help: "backquoted identifiers may contain letters, digits, `_`, `.`, `-`, `/` and spaces")
    } else if name.isEmpty {
      error(SyntaxCode.invalidEscapedIdentifier, "empty backquoted identifier", start, pos)
    }
    emit(.escapedIdentifier(name), start)
  }

  // MARK: - Numbers

  mutating func scanNumber() {
    let start = pos
    if bytes[pos] == ASCII.zero && (byte(pos + 1) == 0x78 || byte(pos + 1) == 0x58) {
      scanHexNumber()
      return
    }
    var isDouble = false
    while isDigit(byte(pos)) { pos += 1 }
    if byte(pos) == ASCII.dot && isDigit(byte(pos + 1)) {
      isDouble = true
      pos += 1
      while isDigit(byte(pos)) { pos += 1 }
    }
    let e = byte(pos)
    if e == 0x65 || e == 0x45 {
      let sign = byte(pos + 1)
      let digitAt = (sign == 0x2B || sign == 0x2D) ? pos + 2 : pos + 1
      if isDigit(byte(digitAt)) {
        isDouble = true
        pos = digitAt
        while isDigit(byte(pos)) { pos += 1 }
      }
    }
    if isDouble {
      let literal = text(start, pos)
      if let d = Double(literal), d.isFinite {
        emit(.double(d), start)
      } else {
        error(SyntaxCode.invalidNumber, "double literal `\(literal)` is out of range", start, pos)
        emit(.double(0), start)
      }
      return
    }
    var value: UInt64 = 0
    var overflow = false
    for i in start..<pos {
      let (m, o1) = value.multipliedReportingOverflow(by: 10)
      let (a, o2) = m.addingReportingOverflow(UInt64(bytes[i] - ASCII.zero))
      overflow = overflow || o1 || o2
      value = a
    }
    finishInteger(start: start, value: overflow ? nil : value)
  }

  mutating func scanHexNumber() {
    let start = pos
    let upper = bytes[pos + 1] == 0x58
    pos += 2
    let digitsStart = pos
    var value: UInt64 = 0
    var overflow = false
    while let h = hexValue(byte(pos)) {
      if value > UInt64.max >> 4 { overflow = true }
      value = value &<< 4 | UInt64(h)
      pos += 1
    }
    if pos == digitsStart {
      error(
        SyntaxCode.invalidNumber, "hexadecimal literal `\(text(start, pos))` has no digits", start, pos)
      emit(.int(0), start)
      return
    }
    if upper {
      error(
        SyntaxCode.invalidNumber, "invalid hexadecimal prefix in `\(text(start, pos))`", start, start + 2,
        help: "hexadecimal literals start with a lowercase `0x`")
    }
    finishInteger(start: start, value: overflow ? nil : value)
  }

  /// Emits an int, or a uint when a `u`/`U` suffix follows.
  mutating func finishInteger(start: Int, value: UInt64?) {
    let suffix = byte(pos)
    if suffix == 0x75 || suffix == 0x55 {
      pos += 1
      if let value {
        emit(.uint(value), start)
      } else {
        error(SyntaxCode.intOutOfRange, "uint literal `\(text(start, pos))` is out of range", start, pos)
        emit(.uint(0), start)
      }
      return
    }
    emit(.int(value), start)
  }

  // MARK: - Strings and bytes

  /// Scans a string or bytes literal whose prefix (if any) starts at `start` and whose opening
  /// quote is at `pos`. Escapes are decoded unless `raw`; `\r\n` and `\r` in the text read as
  /// `\n` (as cel-go normalizes them).
  mutating func scanString(start: Int, raw: Bool, isBytes: Bool) {
    let quote = bytes[pos]
    let triple = byte(pos + 1) == quote && byte(pos + 2) == quote
    pos += triple ? 3 : 1
    var out: [UInt8] = []
    var terminated = false
    while pos < bytes.count {
      let c = bytes[pos]
      if c == quote {
        if !triple {
          pos += 1
          terminated = true
          break
        }
        if byte(pos + 1) == quote && byte(pos + 2) == quote {
          pos += 3
          terminated = true
          break
        }
        out.append(c)
        pos += 1
        continue
      }
      if !triple && (c == ASCII.newline || c == ASCII.carriageReturn) { break }
      if c == ASCII.backslash && !raw {
        scanEscape(isBytes: isBytes, triple: triple, into: &out)
        continue
      }
      if c == ASCII.carriageReturn {
        out.append(ASCII.newline)
        pos += byte(pos + 1) == ASCII.newline ? 2 : 1
        continue
      }
      out.append(c)
      pos += 1
    }
    guard terminated else {
      let what = isBytes ? "bytes" : "string"
      error(
        SyntaxCode.unterminatedString, "unterminated \(what) literal", start, pos,
        help: triple
          ? nil : "a quoted literal ends on the line it starts; use ''' or \"\"\" for text with newlines")
      emit(.invalid, start)
      return
    }
    if isBytes {
      emit(.bytes(out), start)
    } else {
      emit(.string(String(decoding: out, as: UTF8.self)), start)
    }
  }

  /// Decodes the escape sequence at `pos` (a backslash) into `out`, or reports it.
  mutating func scanEscape(isBytes: Bool, triple: Bool, into out: inout [UInt8]) {
    let start = pos
    let c = byte(pos + 1)
    pos += 2
    switch c {
    case 0x61: out.append(0x07)  // \a
    case 0x62: out.append(0x08)  // \b
    case 0x66: out.append(0x0C)  // \f
    case 0x6E: out.append(0x0A)  // \n
    case 0x72: out.append(0x0D)  // \r
    case 0x74: out.append(0x09)  // \t
    case 0x76: out.append(0x0B)  // \v
    case ASCII.backslash, ASCII.singleQuote, ASCII.doubleQuote, ASCII.backquote, 0x3F:
      out.append(c)
    case 0x78, 0x58, 0x75, 0x55:  // \x \X \u \U
      let count = (c == 0x78 || c == 0x58) ? 2 : (c == 0x75 ? 4 : 8)
      var value: UInt32 = 0
      for _ in 0..<count {
        guard let h = hexValue(byte(pos)) else {
          error(
            SyntaxCode.invalidEscape,
            "invalid escape sequence `\(text(start, pos))`, expected \(count) hexadecimal digits",
            start, pos)
          return
        }
        value = value << 4 | h
        pos += 1
      }
      if count == 2 {
        if isBytes { out.append(UInt8(value)) } else { appendUTF8(value, to: &out) }
        return
      }
      if isBytes {
        error(
          SyntaxCode.invalidEscape, "unicode escape `\(text(start, pos))` is not allowed in a bytes literal",
          start, pos, help: "write the bytes with `\\x` or octal escapes")
        return
      }
      guard value < 0xD800 || (value > 0xDFFF && value <= 0x10FFFF) else {
        error(
          SyntaxCode.invalidCodePoint, "escape `\(text(start, pos))` is not a valid unicode code point",
          start, pos,
          help: value <= 0xDFFF ? "surrogate code points are not allowed, even in pairs" : nil)
        return
      }
      appendUTF8(value, to: &out)
    case 0x30...0x33:  // \OOO
      var value = UInt32(c - ASCII.zero)
      for _ in 0..<2 {
        let d = byte(pos)
        guard d >= ASCII.zero && d <= 0x37 else {
          error(
            SyntaxCode.invalidEscape,
            "invalid octal escape `\(text(start, pos))`, expected three octal digits", start, pos)
          return
        }
        value = value * 8 + UInt32(d - ASCII.zero)
        pos += 1
      }
      if isBytes { out.append(UInt8(value)) } else { appendUTF8(value, to: &out) }
    default:
      let atEnd = start + 1 >= bytes.count
      if c == ASCII.newline || c == ASCII.carriageReturn || atEnd {
        // Leave the line break (or the end) to the string scanner.
        pos = start + 1
        let at = atEnd ? "end of input" : "end of line"
        error(SyntaxCode.invalidEscape, "invalid escape sequence: `\\` at \(at)", start, pos)
        return
      }
      pos = min(start + 1 + utf8Length(c), bytes.count)
      error(
        SyntaxCode.invalidEscape, "invalid escape sequence `\(text(start, pos))`", start, pos,
        help: "write `\\\\` for a backslash, or use a raw string literal: r'...'")
    }
  }
}
