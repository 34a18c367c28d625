// Aggregates: `aggregate name { kind: … of: <CEL> key: <CEL> where: <CEL> window: 60s
// include_current: … }`.
//
// The parser checks each field on its own (a known kind, a valid window); whether the fields
// fit together — `kind` and `key` given, `of` present exactly when the kind needs it — is the
// compiler's to check, so those are left nil here.

import SentinelModel

extension RuleParserState {
  static let aggregateFields = RuleKeywords.aggregateFields

  /// `aggregate name { field… }`.
  mutating func parseAggregate() -> AggregateDecl? {
    let keyword = advance()
    guard
      let name = expectName(
        "an aggregate name", help: "conditions read an aggregate by its name: `aggregate failed_logins { … }`"
      )
    else {
      skipToDeclaration()
      return nil
    }
    guard let open = expectPunct(Byte.leftBrace, "`{` after the aggregate name") else {
      skipToDeclaration()
      return nil
    }
    var aggregate = AggregateDecl(name: name, span: keyword.span)
    var seen: [String: Span] = [:]
    let fields = Self.aggregateFields
    let end = parseBlock(open: open.span, "aggregate block") { p in
      guard let (key, field) = p.memberKey("an aggregate field such as `kind:`") else { return }
      guard fields.contains(field) else {
        let synonym = RuleKeywords.aggregateFieldSynonyms[field].map { "did you mean `\($0)`?" }
        let known = "aggregate fields are \(fields.map { "`\($0)`" }.joined(separator: ", "))"
        p.error(
          RuleSyntaxCode.unknownField, "unknown aggregate field `\(field)`", key.span,
          help: p.suggestion(field, fields) ?? synonym ?? known)
        p.skipMember(value: true)
        return
      }
      if p.checkDuplicate(field, key.span, &seen, in: "aggregate `\(name.value)`") {
        var scratch = aggregate
        p.parseAggregateField(field, key, into: &scratch)
      } else {
        p.parseAggregateField(field, key, into: &aggregate)
      }
    }
    aggregate.span = Span(keyword.span.start, end)
    return aggregate
  }

  /// The value of aggregate field `name` (its `key:` consumed).
  mutating func parseAggregateField(_ name: String, _ key: RuleToken, into aggregate: inout AggregateDecl) {
    switch name {
    case "kind":
      aggregate.kind = parseAggregateKind()
    case "of":
      aggregate.of = embeddedExpression(after: key.span, "`of:`")
    case "key":
      aggregate.key = embeddedExpression(after: key.span, "`key:`")
    case "where":
      aggregate.filter = embeddedExpression(after: key.span, "`where:`")
    case "window":
      if let w = parseWindow() { aggregate.window = w }
    default:
      let t = current
      guard isWord(t, "true") || isWord(t, "false") else {
        invalidValue(t, "`include_current` must be `true` or `false`")
        return
      }
      advance()
      aggregate.includeCurrent = Located(isWord(t, "true"), t.span)
    }
  }

  /// `count`, `sum`, `distinct`, `last`, `stats` or `seen`.
  mutating func parseAggregateKind() -> Located<AggregateKind>? {
    let t = current
    let kinds = AggregateKind.allCases.map(\.rawValue)
    let list = kinds.map { "`\($0)`" }.joined(separator: ", ")
    guard t.kind == .identifier else {
      invalidValue(t, "`kind` must be one of \(list)")
      return nil
    }
    advance()
    let word = text(t)
    guard let kind = AggregateKind(rawValue: word) else {
      let synonym = RuleKeywords.aggregateKindSynonyms[word.lowercased()].map { "did you mean `\($0)`?" }
      error(
        RuleSyntaxCode.unknownAggregateKind, "unknown aggregate kind `\(word)`", t.span,
        help: suggestion(word, kinds) ?? synonym ?? "kinds are \(list)")
      return nil
    }
    return Located(kind, t.span)
  }

  /// A window: a duration written bare (`60s`, `1h30m`, `1.5h`) or as a string (`"60s"`), or
  /// `unbounded`. Returns nil for `unbounded` and after an error (reported).
  mutating func parseWindow() -> Located<Int64>? {
    let t = current
    if t.kind == .string {
      advance()
      guard let text = decodeString(t) else { return nil }
      if text == "unbounded" { return nil }
      switch WindowDuration.parse(text) {
      case .success(let nanos): return Located(nanos, t.span)
      case .failure(let f):
        // Offsets inside a string literal's value need not be its text's: point at the literal.
        error(RuleSyntaxCode.invalidWindow, f.message, t.span, help: f.help)
        return nil
      }
    }
    let bare: Bool
    switch t.kind {
    case .integer, .number, .identifier: bare = true
    default: bare = t.isPunct(Byte.minus) || t.isPunct(Byte.plus) || t.isPunct(Byte.dot)
    }
    guard bare, !(t.atLineStart && t.span.start > lastEnd) else {
      invalidValue(
        t, "`window` must be a duration such as `60s`",
        help: "write `window: 10m`, `window: 1h30m`, or `window: unbounded` (the default)")
      return nil
    }
    // The lexer splits `1h30m` and `1.5h` into several tokens: take the run of duration
    // characters from the token's start instead.
    unlex()
    let bytes = lexer.bytes
    let start = t.span.start
    var end = start
    while end < bytes.count {
      let b = bytes[end]
      let signAtStart = end == start && (b == Byte.minus || b == Byte.plus)
      guard signAtStart || Byte.isIdentContinue(b) || b == Byte.dot || b >= 0x80 else { break }
      end += 1
    }
    lexer.move(to: end)
    lastEnd = end
    let span = Span(start, end)
    let text = lexer.text(span)
    if text == "unbounded" { return nil }
    if let first = text.utf8.first, Byte.isIdentStart(first) {
      error(
        RuleSyntaxCode.invalidWindow, "invalid window `\(text)`: expected a duration such as `60s`", span,
        help: suggestion(text, ["unbounded"])
          ?? "a window is a number and a unit (`10m`, `24h`), or `unbounded`")
      return nil
    }
    switch WindowDuration.parse(text) {
    case .success(let nanos): return Located(nanos, span)
    case .failure(let f):
      error(
        RuleSyntaxCode.invalidWindow, f.message,
        Span(start + f.range.lowerBound, start + max(f.range.lowerBound, f.range.upperBound)), help: f.help)
      return nil
    }
  }
}
