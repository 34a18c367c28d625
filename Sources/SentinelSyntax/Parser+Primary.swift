// Primary expressions: literals, identifiers and global calls (with an optional leading dot),
// parenthesized expressions, list and map literals, and message constructions.
//
//     Primary = ["."] IDENT ["(" [ExprList] ")"]
//             | "(" Expr ")"
//             | "[" [ExprList] [","] "]"
//             | "{" [MapInits] [","] "}"
//             | ["."] SELECTOR { "." SELECTOR } "{" [FieldInits] [","] "}"
//             | LITERAL

import SentinelModel

extension ExprParser {
  mutating func parsePrimary() -> Expr {
    switch tag {
    case .identifier: return parseIdentifier(leadingDot: nil)
    case .leftParen: return parseParenthesized()
    case .leftBracket: return parseList()
    case .leftBrace: return parseMap()
    case .dot: return parseLeadingDot()
    case .int, .uint, .double, .string, .bytes, .trueKeyword, .falseKeyword, .nullKeyword:
      return parseLiteral()
    default: return badPrimary()
    }
  }

  /// `(e)`: the inner expression (with its own span).
  mutating func parseParenthesized() -> Expr {
    advance()
    let inner = parseExpr()
    _ = expect(.rightParen, "`)`")
    return inner
  }

  /// `.name`, `.name(args)` or `.pkg.Msg{…}`, at the leading dot.
  mutating func parseLeadingDot() -> Expr {
    let dot = currentSpan
    advance()
    guard tag == .identifier else { return badLeadingDot(dot) }
    return parseIdentifier(leadingDot: dot.start)
  }

  /// A literal at the current token, or at a `-` followed by an int or double literal.
  @inline(never) mutating func parseLiteral() -> Expr {
    let token = current
    advance()
    switch token.kind {
    case .int(let magnitude): return intLiteral(magnitude, negative: false, token.span)
    case .uint(let v): return make(.literal(.uint(v)), token.span)
    case .double(let d): return make(.literal(.double(d)), token.span)
    case .string(let s): return make(.literal(.string(s)), token.span)
    case .bytes(let b): return make(.literal(.bytes(b)), token.span)
    case .trueKeyword: return make(.literal(.bool(true)), token.span)
    case .falseKeyword: return make(.literal(.bool(false)), token.span)
    case .nullKeyword: return make(.literal(.null), token.span)
    case .minus:
      let number = current
      advance()
      let whole = Span(token.span.start, number.span.end)
      switch number.kind {
      case .int(let magnitude): return intLiteral(magnitude, negative: true, whole)
      case .double(let d): return make(.literal(.double(-d)), whole)
      default: return errorNode(whole)
      }
    default:
      return errorNode(token.span)
    }
  }

  /// An int literal from its magnitude; `-9223372036854775808` is in range only when negated.
  mutating func intLiteral(_ magnitude: UInt64?, negative: Bool, _ span: Span) -> Expr {
    if let m = magnitude {
      if !negative && m <= UInt64(Int64.max) { return make(.literal(.int(Int64(m))), span) }
      if negative && m <= UInt64(Int64.max) + 1 {
        return make(.literal(.int(Int64(bitPattern: 0 &- m))), span)
      }
    }
    error(
      SyntaxCode.intOutOfRange, "int literal `\(text(span))` is out of range", at: span,
      help: "an int is 64-bit: -9223372036854775808 through 9223372036854775807; a uint takes a `u` suffix")
    return make(.literal(.int(0)), span)
  }

  /// Reports a token that cannot start an expression.
  @inline(never) mutating func badPrimary() -> Expr {
    if tag == .minus && (peek(1) == .int || peek(1) == .double) { return parseLiteral() }
    let token = current
    switch token.kind {
    case .escapedIdentifier(let name):
      advance()
      error(
        SyntaxCode.invalidEscapedIdentifier,
        "backquoted identifier `\(name)` can only be used as a field name", at: token.span,
        help: "backquotes select fields (a.`b-c`) and name message fields (Msg{`b-c`: 1})")
    case .invalid:
      fatal = true
    case .endOfInput:
      syntaxError("unexpected end of input, expected an expression", at: token.span)
    case .bang, .minus:
      syntaxError(
        "unexpected \(describe(token)), expected an expression", at: token.span,
        help: "parenthesize an operand that mixes `!` and `-`: !(-x)")
    default:
      syntaxError("unexpected \(describe(token)), expected an expression", at: token.span)
    }
    return errorNode(token.span)
  }

  @inline(never) mutating func badLeadingDot(_ dot: Span) -> Expr {
    syntaxError("expected identifier after leading `.`, found \(describe(current))", at: currentSpan)
    return errorNode(dot)
  }

  /// An identifier, a global call or a message construction, at the current identifier token.
  mutating func parseIdentifier(leadingDot: Int?) -> Expr {
    if let segments = messageSegments() { return parseMessage(leadingDot: leadingDot, segments: segments) }
    let (name, nameSpan) = consumeIdentifier(leadingDot: leadingDot)
    guard tag == .leftParen else { return make(.ident(name), nameSpan) }
    return parseGlobalCall(name, nameSpan.start)
  }

  /// The number of name segments when the current identifier starts `a.b.C{`, else nil.
  func messageSegments() -> Int? {
    var ahead = 1
    while peek(ahead) == .dot && peek(ahead + 1) == .identifier { ahead += 2 }
    return peek(ahead) == .leftBrace ? ahead / 2 + 1 : nil
  }

  /// Consumes the current identifier (reporting a reserved word): its name, with the leading
  /// dot if any, and its span.
  @inline(never) mutating func consumeIdentifier(leadingDot: Int?) -> (String, Span) {
    let nameSpan = currentSpan
    let name = checkedIdentifier()
    advance()
    guard let dot = leadingDot else { return (name, nameSpan) }
    return ("." + name, Span(dot, nameSpan.end))
  }

  /// `f(args)` at the `(`, for the function `name` that starts at `start`.
  mutating func parseGlobalCall(_ name: String, _ start: Int) -> Expr {
    guard let (args, end) = parseArguments() else { return errorNode(Span(start, currentSpan.end)) }
    return callOrMacro(target: nil, function: name, args: args, span: Span(start, end))
  }

  /// The text of the current identifier token, after reporting it if it is a reserved word.
  @inline(never) mutating func checkedIdentifier() -> String {
    guard case .identifier(let name) = current.kind else { return "" }
    if CELWords.reserved.contains(name) { reservedIdentifier(name, currentSpan) }
    return name
  }

  @inline(never) mutating func reservedIdentifier(_ name: String, _ span: Span) {
    error(
      SyntaxCode.reservedIdentifier, "reserved identifier `\(name)`", at: span,
      help: "reserved words can be field names (a.\(name)) but not variables or functions")
  }

  /// `Name{f: v, ?g: w}` at the first of `segments` name segments.
  mutating func parseMessage(leadingDot: Int?, segments: Int) -> Expr {
    let start = leadingDot ?? currentSpan.start
    let typeName = messageName(leadingDot: leadingDot != nil, segments: segments)
    advance()  // the brace
    var fields: [StructField] = []
    while tag != .rightBrace {
      if fields.isEmpty && accept(.comma) { break }
      let fieldStart = currentSpan
      let optional = acceptOptionalMarker(fieldStart)
      guard tag == .identifier || tag == .escapedIdentifier, let name = identifierText() else {
        return badFieldInitializer(start)
      }
      advance()
      guard expect(.colon, "`:` after field name") else { return errorNode(Span(start, currentSpan.end)) }
      let value = parseExpr()
      let id = newID(Span(fieldStart.start, span(value).end))
      fields.append(StructField(id: id, name: name, value: value, optional: optional))
      if !accept(.comma) { break }
    }
    let close = currentSpan
    guard expect(.rightBrace, "`,` or `}` in message construction") else {
      return errorNode(Span(start, close.end))
    }
    return make(.structure(typeName: typeName, fields: fields), Span(start, close.end))
  }

  /// Consumes the `segments` dotted name segments of a message construction (reporting a
  /// reserved first segment).
  @inline(never) mutating func messageName(leadingDot: Bool, segments: Int) -> String {
    var typeName = leadingDot ? "." : ""
    for i in 0..<segments {
      if i > 0 {
        typeName += "."
        advance()  // the dot
      }
      typeName += i == 0 ? checkedIdentifier() : identifierText() ?? ""
      advance()
    }
    return typeName
  }

  @inline(never) mutating func badFieldInitializer(_ start: Int) -> Expr {
    syntaxError("expected field name in message construction, found \(describe(current))", at: currentSpan)
    return errorNode(Span(start, currentSpan.end))
  }

  /// `[a, ?b, c,]`.
  mutating func parseList() -> Expr {
    let open = currentSpan
    advance()
    var elements: [Expr] = []
    var optionalIndices: [Int] = []
    while tag != .rightBracket {
      if elements.isEmpty && accept(.comma) { break }
      if acceptOptionalMarker(currentSpan) { optionalIndices.append(elements.count) }
      elements.append(parseExpr())
      if !accept(.comma) { break }
    }
    let close = currentSpan
    guard expect(.rightBracket, "`,` or `]` in list") else { return errorNode(Span(open.start, close.end)) }
    return make(.list(elements: elements, optionalIndices: optionalIndices), Span(open.start, close.end))
  }

  /// `{k: v, ?k2: v2,}`.
  mutating func parseMap() -> Expr {
    let open = currentSpan
    advance()
    var entries: [MapEntry] = []
    while tag != .rightBrace {
      if entries.isEmpty && accept(.comma) { break }
      let entryStart = currentSpan
      let optional = acceptOptionalMarker(entryStart)
      let key = parseExpr()
      guard expect(.colon, "`:` after map key") else { return errorNode(Span(open.start, currentSpan.end)) }
      let value = parseExpr()
      let id = newID(Span(entryStart.start, span(value).end))
      entries.append(MapEntry(id: id, key: key, value: value, optional: optional))
      if !accept(.comma) { break }
    }
    let close = currentSpan
    guard expect(.rightBrace, "`,` or `}` in map") else { return errorNode(Span(open.start, close.end)) }
    return make(.map(entries: entries), Span(open.start, close.end))
  }
}
