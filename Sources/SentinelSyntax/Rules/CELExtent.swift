// Where an embedded CEL expression ends. A `when:` condition, a named condition, an aggregate's
// `key:`, `of:` and `where:`, a default, an allowed value and an inline list element are CEL
// text inside the rule file; the DSL never tokenizes it. This scanner finds its end by CEL's
// lexis (string literals of every form, backquoted identifiers, `//` comments, brackets) and
// these rules:
//
// - it ends before a `,` at bracket depth 0, and before a closing bracket that closes nothing
//   (`}` ending a block, `]` ending a list);
// - a line break at depth 0 ends it when the next line that is not blank or a comment starts
//   with `name:` or `name?:` (the next field), a closing bracket, a declaration keyword followed
//   by a name or `{` (`rule x {`, `policy {`), or is the end of the input.
//
// So multi-line CEL works when continuation lines start with an operator or sit inside
// brackets. The expression's text runs from its first non-blank byte (a leading comment stays in
// the text) to the end of its last token; trailing comments are left to the DSL.

/// Finds the extent of embedded CEL text.
enum CELExtent {
  /// The words that start a top-level declaration (including the reserved ones).
  static let declarationKeywords = Set(RuleKeywords.declarations)

  /// The extent found by `scan`.
  struct Extent {
    /// The first non-blank byte.
    var start: Int
    /// The end of the last token (equal to `start` when there is none).
    var end: Int
    /// Where scanning stopped (at or after `end`).
    var stop: Int
    /// Whether the text holds no CEL token (nothing, or only comments).
    var isEmpty: Bool
  }

  /// Scans CEL text starting at `from`.
  static func scan(_ bytes: [UInt8], from: Int) -> Extent {
    let n = bytes.count
    var pos = max(0, min(from, n))
    var start: Int? = nil
    var lastEnd: Int? = nil
    var depth = 0
    scanning: while pos < n {
      let b = bytes[pos]
      if b == Byte.newline {
        if depth == 0 && stopsAt(bytes, lineStart: pos + 1) { break }
        pos += 1
        continue
      }
      if Byte.isSpace(b) {
        pos += 1
        continue
      }
      if start == nil { start = pos }
      if b == Byte.slash && pos + 1 < n && bytes[pos + 1] == Byte.slash {
        while pos < n && bytes[pos] != Byte.newline { pos += 1 }
        continue
      }
      switch b {
      case Byte.doubleQuote, Byte.singleQuote:
        pos = scanStringLiteral(bytes, quoteAt: pos, raw: false).end
      case Byte.backquote:
        pos += 1
        while pos < n && bytes[pos] != Byte.backquote && bytes[pos] != Byte.newline { pos += 1 }
        if pos < n && bytes[pos] == Byte.backquote { pos += 1 }
      case Byte.leftParen, Byte.leftBracket, Byte.leftBrace:
        depth += 1
        pos += 1
      case Byte.rightParen, Byte.rightBracket, Byte.rightBrace:
        if depth == 0 { break scanning }
        depth -= 1
        pos += 1
      case Byte.comma:
        if depth == 0 { break scanning }
        pos += 1
      default:
        if Byte.isIdentStart(b) {
          let wordStart = pos
          while pos < n && Byte.isIdentContinue(bytes[pos]) { pos += 1 }
          let prefix = Byte.stringPrefix(bytes[wordStart..<pos])
          if pos < n && (bytes[pos] == Byte.doubleQuote || bytes[pos] == Byte.singleQuote) && prefix.isPrefix
          {
            pos = scanStringLiteral(bytes, quoteAt: pos, raw: prefix.raw).end
          }
        } else {
          pos = min(pos + Byte.sequenceLength(b), n)
        }
      }
      lastEnd = pos
    }
    let first = start ?? pos
    guard let end = lastEnd else { return Extent(start: first, end: first, stop: pos, isEmpty: true) }
    return Extent(start: first, end: end, stop: pos, isEmpty: false)
  }

  /// Whether the line starting at `lineStart` (or the next one that is not blank or only a
  /// comment) ends the expression before it.
  static func stopsAt(_ bytes: [UInt8], lineStart: Int) -> Bool {
    let n = bytes.count
    var i = lineStart
    while true {
      while i < n && Byte.isSpace(bytes[i]) { i += 1 }
      if i >= n { return true }
      if bytes[i] == Byte.newline {
        i += 1
        continue
      }
      if bytes[i] == Byte.slash && i + 1 < n && bytes[i + 1] == Byte.slash {
        while i < n && bytes[i] != Byte.newline { i += 1 }
        continue
      }
      break
    }
    let b = bytes[i]
    if b == Byte.rightBrace || b == Byte.rightBracket || b == Byte.rightParen { return true }
    guard Byte.isIdentStart(b) else { return false }
    let wordStart = i
    while i < n && Byte.isIdentContinue(bytes[i]) { i += 1 }
    let wordEnd = i
    var j = wordEnd
    while j < n && Byte.isSpace(bytes[j]) { j += 1 }
    if j < n && bytes[j] == Byte.question {
      j += 1
      while j < n && Byte.isSpace(bytes[j]) { j += 1 }
    }
    if j < n && bytes[j] == Byte.colon { return true }
    let word = String(decoding: bytes[wordStart..<wordEnd], as: UTF8.self)
    guard declarationKeywords.contains(word) else { return false }
    // A declaration: the keyword, then `{`, a name (not the operator `in`) or a string.
    var k = wordEnd
    while k < n && Byte.isSpace(bytes[k]) { k += 1 }
    guard k < n else { return false }
    let c = bytes[k]
    if c == Byte.leftBrace || c == Byte.doubleQuote || c == Byte.singleQuote { return true }
    guard k > wordEnd, Byte.isIdentStart(c) else { return false }
    var m = k
    while m < n && Byte.isIdentContinue(bytes[m]) { m += 1 }
    return String(decoding: bytes[k..<m], as: UTF8.self) != "in"
  }
}
