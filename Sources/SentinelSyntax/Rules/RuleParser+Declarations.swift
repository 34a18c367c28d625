// Declarations other than rules: `schema`, types, `list`, `condition` and `policy`.

import SentinelModel

extension RuleParserState {
  // MARK: - Schema

  /// `schema name { field… }`.
  mutating func parseSchema() -> SchemaDecl? {
    let keyword = advance()
    guard
      let name = expectName(
        "a schema name", help: "name the event variable: `schema event { … }`")
    else {
      skipToDeclaration()
      return nil
    }
    guard let open = expectPunct(Byte.leftBrace, "`{` after the schema name") else {
      skipToDeclaration()
      return nil
    }
    let (fields, end) = parseFieldBlock(open: open.span, "schema block", depth: 0)
    return SchemaDecl(name: name, fields: fields, span: Span(keyword.span.start, end))
  }

  /// The fields of a schema or object block whose `{` was just consumed; reports duplicates.
  mutating func parseFieldBlock(open: Span, _ what: String, depth: Int) -> ([FieldDecl], Int) {
    var fields: [FieldDecl] = []
    var seen: [String: Span] = [:]
    let end = parseBlock(open: open, what) { p in
      guard let f = p.parseField(depth: depth) else { return }
      if let first = seen[f.name.value] {
        p.error(
          RuleSyntaxCode.duplicateField, "duplicate field `\(f.name.value)`", f.name.span,
          help: "`\(f.name.value)` is already declared at \(p.position(of: first.start))")
        return
      }
      seen[f.name.value] = f.name.span
      fields.append(f)
    }
    return (fields, end)
  }

  /// `name[?]: type [in [v, …]] [required_for ["t", …]] [= default]`.
  mutating func parseField(depth: Int) -> FieldDecl? {
    let nameToken = current
    guard nameToken.kind == .identifier else {
      unexpected(nameToken, "a field name", help: "a schema field reads `name: type`, e.g. `amount?: double`")
      skipMember()
      return nil
    }
    advance()
    let name = Located(text(nameToken), nameToken.span)
    var optional = false
    if current.isPunct(Byte.question) {
      advance()
      optional = true
    }
    guard current.isPunct(Byte.colon) else {
      unexpected(current, "`:` after field `\(name.value)`", help: "write `\(name.value): string`")
      skipMember()
      return nil
    }
    advance()
    guard let type = parseType(allowObject: true, depth: depth) else {
      skipMember()
      return nil
    }
    var field = FieldDecl(
      name: name, type: type, optional: optional, span: Span(nameToken.span.start, lastEnd))
    var seen: [String: Span] = [:]
    while true {
      let t = current
      if t.atLineStart { break }
      let modifier: String
      if isWord(t, "in") || isWord(t, "required_for") {
        modifier = text(t)
      } else if t.isPunct(Byte.equals) {
        modifier = "="
      } else {
        break
      }
      if let first = seen[modifier] {
        error(
          RuleSyntaxCode.duplicateField, "duplicate `\(modifier)` on field `\(name.value)`", t.span,
          help: "it is already given at \(position(of: first.start))")
      }
      let repeated = seen[modifier] != nil
      seen[modifier] = t.span
      advance()
      switch modifier {
      case "in":
        guard let open = expectPunct(Byte.leftBracket, "`[` after `in`", help: "write `in [\"a\", \"b\"]`")
        else {
          skipMember()
          return field
        }
        let values = parseExpressionList(open: open.span)
        if !repeated { field.allowedValues = values }
      case "required_for":
        guard let names = parseNameList("event types", "required_for") else { return field }
        if !repeated { field.requiredFor = names }
      default:
        let value = embeddedExpression(after: t.span, "`=`")
        if !repeated { field.defaultValue = value }
      }
    }
    field.span = Span(nameToken.span.start, lastEnd)
    let after = current
    if !after.atLineStart && after.kind == .identifier {
      error(
        RuleSyntaxCode.unexpectedToken,
        "expected `in`, `required_for`, `=` or a line break after the type of `\(name.value)`, found \(describe(after))",
        after.span, help: suggestion(text(after), ["in", "required_for"]))
      skipMember()
    }
    if !optional, let r = field.requiredFor, !r.isEmpty {
      warning(
        RuleSyntaxCode.requiredForOnRequired,
        "`required_for` has no effect on `\(name.value)`, which is required for every event",
        seen["required_for"] ?? name.span, help: "make the field optional: `\(name.value)?:`")
    }
    if !optional, field.defaultValue != nil {
      warning(
        RuleSyntaxCode.defaultOnRequired,
        "the default of `\(name.value)` is never used: the field is required", seen["="] ?? name.span,
        help: "make the field optional: `\(name.value)?:`")
    }
    return field
  }

  // MARK: - Types

  /// A CEL type (`double`, `list(string)`, `map(string, int)`) or, where allowed, an object
  /// type `{ field: type, … }`.
  mutating func parseType(allowObject: Bool, depth: Int) -> TypeRef? {
    let t = current
    if depth >= Self.maxDepth {
      error(
        RuleSyntaxCode.nestingTooDeep, "types are nested more than \(Self.maxDepth) levels deep", t.span)
      return nil
    }
    if t.isPunct(Byte.leftBrace) {
      advance()
      let (fields, end) = parseFieldBlock(open: t.span, "object type", depth: depth + 1)
      guard allowObject else {
        error(
          RuleSyntaxCode.invalidType, "an object type is only allowed as the type of a schema field",
          Span(t.span.start, end), help: "declare the object as a field: `geo?: { lat: double }`")
        return nil
      }
      return .object(fields, Span(t.span.start, end))
    }
    guard t.kind == .identifier else {
      unexpected(t, "a type", help: "types are `int`, `double`, `string`, `bool`, `timestamp`, `list(T)`, …")
      return nil
    }
    advance()
    var name = text(t)
    while current.isPunct(Byte.dot) && !current.atLineStart {
      let dot = advance()
      let part = current
      guard part.kind == .identifier else {
        unexpected(part, "a name after `.`")
        return nil
      }
      advance()
      name += text(dot) + text(part)
    }
    var params: [CELType] = []
    var hasParams = false
    var failed = false
    if current.isPunct(Byte.leftParen) && !current.atLineStart {
      advance()
      hasParams = true
      while true {
        guard let p = parseType(allowObject: false, depth: depth + 1) else {
          failed = true
          break
        }
        if case .cel(let type, _) = p { params.append(type) }
        if current.isPunct(Byte.comma) {
          advance()
          continue
        }
        if expectPunct(Byte.rightParen, "`,` or `)` in the type parameters") == nil { failed = true }
        break
      }
    }
    let span = Span(t.span.start, lastEnd)
    if failed { return nil }
    guard let type = resolveType(name, params, hasParams: hasParams, span) else { return nil }
    return .cel(type, span)
  }

  /// The CEL type named `name` with `params`; reports unknown names and wrong arities.
  mutating func resolveType(_ name: String, _ params: [CELType], hasParams: Bool, _ span: Span) -> CELType? {
    let scalars: [String: CELType] = [
      "dyn": .dyn, "bool": .bool, "int": .int, "uint": .uint, "double": .double, "string": .string,
      "bytes": .bytes, "timestamp": .timestamp, "duration": .duration, "null_type": .null,
      "google.protobuf.Timestamp": .timestamp, "google.protobuf.Duration": .duration,
    ]
    if let scalar = scalars[name] {
      if hasParams {
        error(RuleSyntaxCode.invalidType, "type `\(name)` takes no parameters", span)
        return nil
      }
      return scalar
    }
    switch (name, params.count, hasParams) {
    case ("list", 0, false): return .list(.dyn)
    case ("list", 1, true): return .list(params[0])
    case ("map", 0, false): return .map(.dyn, .dyn)
    case ("map", 2, true): return .map(params[0], params[1])
    case ("list", _, _):
      error(
        RuleSyntaxCode.invalidType, "`list` takes one type parameter, found \(params.count)", span,
        help: "write `list(string)`")
      return nil
    case ("map", _, _):
      error(
        RuleSyntaxCode.invalidType, "`map` takes two type parameters, found \(params.count)", span,
        help: "write `map(string, int)`")
      return nil
    default:
      let known = RuleKeywords.types.filter { $0 != "null_type" }
      error(
        RuleSyntaxCode.invalidType, "unknown type `\(name)`", span,
        help: suggestion(name, known) ?? "types are \(known.map { "`\($0)`" }.joined(separator: ", "))")
      return nil
    }
  }

  // MARK: - Lists

  /// `list name[: type] = [e, …]` or `list name[: type] from "path" [format f]`.
  /// `runtime list name: T = […]`: a list the daemon may change at run time.
  mutating func parseRuntimeList() -> ListDecl? {
    let modifier = advance()
    guard isWord(current, "list") && !current.atLineStart else {
      unexpected(
        current, "`list` after `runtime`", help: "write `runtime list blocked_ips: string = [\"10.0.0.1\"]`")
      skipToDeclaration()
      return nil
    }
    guard var decl = parseList() else { return nil }
    decl.runtime = true
    decl.span = Span(modifier.span.start, decl.span.end)
    return decl
  }

  mutating func parseList() -> ListDecl? {
    let keyword = advance()
    guard let name = expectName("a list name") else {
      skipToDeclaration()
      return nil
    }
    var elementType: TypeRef? = nil
    if current.isPunct(Byte.colon) {
      advance()
      guard let type = parseType(allowObject: false, depth: 0) else {
        skipToDeclaration()
        return nil
      }
      elementType = type
    }
    let t = current
    let contents: ListDecl.Contents
    if t.isPunct(Byte.equals) {
      advance()
      guard let open = expectPunct(Byte.leftBracket, "`[` after `=`", help: "write `= [\"a\", \"b\"]`") else {
        skipToDeclaration()
        return nil
      }
      contents = .inline(parseExpressionList(open: open.span))
    } else if isWord(t, "from") {
      advance()
      let pathToken = current
      guard pathToken.kind == .string, let path = decodeString(pathToken) else {
        if pathToken.kind != .string {
          unexpected(pathToken, "a file path string after `from`", help: "write `from \"lists/names.txt\"`")
        }
        skipToDeclaration()
        return nil
      }
      advance()
      var format: Located<String>? = nil
      if isWord(current, "format") && !current.atLineStart {
        advance()
        guard let f = parseFormat() else {
          skipToDeclaration()
          return nil
        }
        format = f
      }
      contents = .file(path: Located(path, pathToken.span), format: format)
    } else {
      if t.kind == .invalid || t.kind == .unterminatedString {
        reportLexical(t)
      } else {
        error(
          RuleSyntaxCode.missingListContents, "list `\(name.value)` needs contents: `=` or `from`",
          t.atLineStart || t.kind == .endOfInput ? name.span : t.span,
          help: "write `list \(name.value) = [\"a\", \"b\"]` or `list \(name.value) from \"file.txt\"`")
      }
      skipToDeclaration()
      return nil
    }
    let decl = ListDecl(
      name: name, elementType: elementType, contents: contents, span: Span(keyword.span.start, lastEnd))
    expectEndOfDeclaration("list declaration")
    return decl
  }

  /// A list format: a name with optional arguments (`sdn`, `csv(2)`, `csv("name")`), kept as
  /// normalized text for the compiler to interpret.
  mutating func parseFormat() -> Located<String>? {
    guard let name = expectName("a format name after `format`", help: "e.g. `format csv(2)`") else {
      return nil
    }
    var text = name.value
    guard current.isPunct(Byte.leftParen) && !current.atLineStart else { return name }
    advance()
    var args: [String] = []
    while !current.isPunct(Byte.rightParen) {
      let a = current
      switch a.kind {
      case .integer, .identifier:
        args.append(self.text(a))
      case .string:
        guard let s = decodeString(a) else { return nil }
        args.append(RuleFormatter.quote(s))
      default:
        unexpected(a, "a format argument (a number, a name or a string)")
        return nil
      }
      advance()
      if current.isPunct(Byte.comma) {
        advance()
      } else if !current.isPunct(Byte.rightParen) {
        unexpected(current, "`,` or `)` in the format arguments")
        return nil
      }
    }
    advance()
    text += "(" + args.joined(separator: ", ") + ")"
    return Located(text, Span(name.span.start, lastEnd))
  }

  /// CEL expressions separated by `,` up to `]`, the `[` at `open` just consumed (a trailing
  /// comma is allowed). Comments between elements stay file comments.
  mutating func parseExpressionList(open: Span) -> [EmbeddedExpression] {
    var items: [EmbeddedExpression] = []
    while true {
      unlex()
      lexer.skipTrivia()
      if lexer.byte(lexer.pos) == Byte.rightBracket {
        advance()
        return items
      }
      let e = CELExtent.scan(lexer.bytes, from: lexer.pos)
      // An element never starts with what ends a list's line (`name:`, `}`, a declaration).
      let endsHere = lexer.isAtLineStart(lexer.pos) && CELExtent.stopsAt(lexer.bytes, lineStart: lexer.pos)
      if e.isEmpty || endsHere {
        let t = current
        if t.isPunct(Byte.comma) {
          error(RuleSyntaxCode.missingExpression, "missing list element before `,`", t.span)
          advance()
          continue
        }
        error(
          RuleSyntaxCode.unterminatedBlock, "unterminated list: missing `]`", open,
          help: "add `]` after the last element of the list opened here")
        return items
      }
      lexer.move(to: e.end)
      lastEnd = e.end
      if let item = embed(Span(e.start, e.end)) { items.append(item) }
      let t = current
      if t.isPunct(Byte.comma) {
        advance()
      } else if !t.isPunct(Byte.rightBracket) {
        error(
          RuleSyntaxCode.unterminatedBlock, "unterminated list: missing `]`", open,
          help: "add `]` after the last element of the list opened here")
        return items
      }
    }
  }

  /// `[name, "text", …]` for tags and event types; nil when the list is not there at all.
  mutating func parseNameList(_ what: String, _ field: String) -> [Located<String>]? {
    guard let open = expectPunct(Byte.leftBracket, "`[` with the \(what) of `\(field)`") else {
      skipMember()
      return nil
    }
    var names: [Located<String>] = []
    var seen: Set<String> = []
    while true {
      let t = current
      if t.isPunct(Byte.rightBracket) {
        advance()
        return names
      }
      let memberStart =
        t.atLineStart && t.kind == .identifier
        && (peek().isPunct(Byte.colon) || peek().isPunct(Byte.question))
      if t.kind == .endOfInput || t.isPunct(Byte.rightBrace) || memberStart
        || (t.atLineStart && isDeclarationStart(t))
      {
        error(
          RuleSyntaxCode.unterminatedBlock, "unterminated list: missing `]`", open.span,
          help: "add `]` after the last element of the list opened here")
        return names
      }
      advance()
      var value: String? = nil
      if t.kind == .identifier {
        value = text(t)
      } else if t.kind == .string {
        value = decodeString(t)
      } else if t.kind == .invalid || t.kind == .unterminatedString {
        reportLexical(t)
      } else {
        error(
          RuleSyntaxCode.invalidValue, "expected a name or a string in `\(field)`, found \(describe(t))",
          t.span)
      }
      if let value {
        if seen.contains(value) {
          warning(RuleSyntaxCode.duplicateEntry, "`\(value)` is repeated in `\(field)`", t.span)
        } else {
          seen.insert(value)
          names.append(Located(value, t.span))
        }
      }
      let s = current
      if s.isPunct(Byte.comma) {
        advance()
      } else if !s.isPunct(Byte.rightBracket) && s.kind != .endOfInput && !s.isPunct(Byte.rightBrace)
        && !s.atLineStart
      {
        unexpected(s, "`,` or `]` in `\(field)`")
      }
    }
  }

  /// Decodes a string-literal token with CEL's rules; reports its errors.
  mutating func decodeString(_ t: RuleToken) -> String? {
    let literal = text(t)
    let (tokens, lexical) = Lexer.tokenize(Source(name: source.name, text: literal))
    for var d in lexical {
      d.span = Span(d.span.start + t.span.start, d.span.end + t.span.start)
      diagnostics.append(d)
    }
    if lexical.hasErrors { return nil }
    guard tokens.count == 2 else {
      unexpected(t, "a string")
      return nil
    }
    switch tokens[0].kind {
    case .string(let s): return s
    case .bytes:
      error(
        RuleSyntaxCode.invalidValue, "expected a string, found a bytes literal", t.span,
        help: "remove the `b` prefix")
      return nil
    default:
      unexpected(t, "a string")
      return nil
    }
  }

  // MARK: - Conditions

  /// `condition name = <CEL>`.
  mutating func parseCondition() -> ConditionDecl? {
    let keyword = advance()
    guard let name = expectName("a condition name") else {
      skipToDeclaration()
      return nil
    }
    guard
      let eq = expectPunct(
        Byte.equals, "`=` after the condition name", help: "write `condition \(name.value) = <CEL>`")
    else {
      skipToDeclaration()
      return nil
    }
    guard let expression = embeddedExpression(after: eq.span, "`=`") else {
      skipToDeclaration()
      return nil
    }
    let decl = ConditionDecl(name: name, expression: expression, span: Span(keyword.span.start, lastEnd))
    expectEndOfDeclaration("condition")
    return decl
  }

  // MARK: - Policy

  /// `policy { review_threshold: n  block_threshold: n }`.
  mutating func parsePolicy() -> PolicyDecl? {
    let keyword = advance()
    guard let open = expectPunct(Byte.leftBrace, "`{` after `policy`") else {
      skipToDeclaration()
      return nil
    }
    var policy = PolicyDecl(span: keyword.span)
    var seen: [String: Span] = [:]
    let fields = RuleKeywords.policyFields
    let end = parseBlock(open: open.span, "policy block") { p in
      guard let (key, name) = p.memberKey("a policy field such as `review_threshold:`") else { return }
      guard fields.contains(name) else {
        let help =
          name == "precedence"
          ? "the precedence of actions is fixed: block, then review, then challenge, then allow"
          : p.suggestion(name, fields) ?? "policy fields are `review_threshold` and `block_threshold`"
        p.error(RuleSyntaxCode.unknownField, "unknown policy field `\(name)`", key.span, help: help)
        p.skipMember(value: true)
        return
      }
      let repeated = p.checkDuplicate(name, key.span, &seen, in: "the policy")
      guard let value = p.parseInteger(name) else { return }
      if repeated { return }
      if name == "review_threshold" { policy.reviewThreshold = value } else { policy.blockThreshold = value }
    }
    policy.span = Span(keyword.span.start, end)
    return policy
  }

  /// `key:` at the start of a member: consumes both and returns the key, or reports and skips.
  mutating func memberKey(_ expected: String) -> (RuleToken, String)? {
    let key = current
    guard key.kind == .identifier else {
      unexpected(key, expected)
      skipMember()
      return nil
    }
    advance()
    let name = text(key)
    guard current.isPunct(Byte.colon) else {
      unexpected(current, "`:` after `\(name)`", help: "write `\(name): <value>`")
      skipMember()
      return nil
    }
    advance()
    return (key, name)
  }

  /// Reports a field given twice; returns whether it was.
  mutating func checkDuplicate(_ name: String, _ span: Span, _ seen: inout [String: Span], in what: String)
    -> Bool
  {
    if let first = seen[name] {
      error(
        RuleSyntaxCode.duplicateField, "duplicate field `\(name)` in \(what)", span,
        help: "`\(name)` is already given at \(position(of: first.start)); remove one of them")
      return true
    }
    seen[name] = span
    return false
  }

  /// A whole number, optionally signed, for the field `name`.
  mutating func parseInteger(_ name: String) -> Located<Int>? {
    var t = current
    let start = t.span.start
    var sign = ""
    if t.isPunct(Byte.minus) || t.isPunct(Byte.plus) {
      sign = t.isPunct(Byte.minus) ? "-" : ""
      advance()
      t = current
    }
    let span = Span(start, t.span.end)
    switch t.kind {
    case .integer:
      advance()
      guard let value = Int(sign + text(t)) else {
        error(RuleSyntaxCode.invalidInteger, "`\(name)` is out of range", span)
        return nil
      }
      return Located(value, span)
    case .number:
      advance()
      error(
        RuleSyntaxCode.invalidInteger, "`\(name)` must be a whole number, found `\(sign)\(text(t))`", span,
        help: "scores and thresholds are integers, e.g. `\(name): 40`")
      return nil
    default:
      if t.kind == .invalid || t.kind == .unterminatedString {
        reportLexical(t)
      } else if t.kind == .endOfInput || (t.atLineStart && sign.isEmpty) {
        error(
          RuleSyntaxCode.invalidInteger, "`\(name)` must be an integer, found nothing",
          Span(lastEnd, lastEnd),
          help: "scores and thresholds are integers, e.g. `\(name): 40`")
        return nil
      } else {
        error(
          RuleSyntaxCode.invalidInteger, "`\(name)` must be an integer, found \(describe(t))", t.span,
          help: "scores and thresholds are integers, e.g. `\(name): 40`")
      }
      skipMember(value: true)
      return nil
    }
  }
}
