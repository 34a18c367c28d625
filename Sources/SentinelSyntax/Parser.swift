// The CEL parser: tokens → `AST` (cel-spec langdef.md, "Syntax"), by recursive descent.
//
//     Source ──Lexer──▶ [Token] ──ExprParser──▶ Expr (macros expanded, Macros.swift) ──▶ AST
//
// Precedence, lowest first: `?:` (right assoc) < `||` < `&&` < relations (`< <= >= > == != in`)
// < `+ -` < `* / %` < unary (`!`, `-`, repeated) < member (`.f`, `.f(…)`, `[i]`, `.?f`, `[?i]`)
// < primary. `&&`/`||` chains become balanced trees (as cel-go), the other binary operators
// associate to the left. Operators become calls named as in `Operators`.
//
// Files: Parser.swift (API, expressions), Parser+Primary.swift (primaries, literals, aggregates),
// Macros.swift (macro expansion), Lexer.swift / Token.swift (lexis), ASTPrinter.swift (debug form).

import SentinelModel

/// The diagnostic codes of the CEL front end (lexer, parser and macro expansion).
///
/// | code    | meaning                                                                        |
/// |---------|--------------------------------------------------------------------------------|
/// | `E0001` | unexpected token: the input does not follow CEL's grammar                      |
/// | `E0002` | unexpected character: a character that starts no CEL token (`#`, `=`, `&`)     |
/// | `E0003` | unterminated string or bytes literal                                           |
/// | `E0004` | invalid escape sequence in a string or bytes literal (`\s`, `\x4`, `\u` in bytes) |
/// | `E0005` | escape that is not a Unicode scalar value (surrogates, above `U+10FFFF`)        |
/// | `E0006` | int or uint literal out of range                                               |
/// | `E0007` | malformed numeric literal (`0x` without digits, `0X…`, double out of range)     |
/// | `E0008` | reserved word (`if`, `package`, …) used as an identifier or function name      |
/// | `E0009` | invalid backquoted identifier, or one used where only field names may be        |
/// | `E0010` | invalid literal prefix (`rb'…'`; the bytes prefix comes first: `br'…'`)         |
/// | `E0011` | expression nested deeper than `ParseOptions.maxRecursionDepth`                  |
/// | `E0012` | expression longer than `ParseOptions.maxExpressionCodePoints`                   |
/// | `E0013` | optional syntax (`.?f`, `[?i]`, `?elem`, `?key:`) while it is disabled           |
/// | `E0014` | invalid macro argument (`has(x)` without a field selection, `cel.block` forms)  |
/// | `E0015` | a macro variable that is not a simple identifier (`[].all(a.b, true)`)          |
/// | `E0016` | an invalid macro variable: duplicated, or overwriting the accumulator           |
public enum SyntaxCode {
  /// `E0001`: the input does not follow CEL's grammar.
  public static let unexpectedToken = "E0001"
  /// `E0002`: a character that starts no CEL token.
  public static let unexpectedCharacter = "E0002"
  /// `E0003`: a string or bytes literal without its closing quote.
  public static let unterminatedString = "E0003"
  /// `E0004`: an invalid escape sequence.
  public static let invalidEscape = "E0004"
  /// `E0005`: an escape that does not denote a Unicode scalar value.
  public static let invalidCodePoint = "E0005"
  /// `E0006`: an int or uint literal out of range.
  public static let intOutOfRange = "E0006"
  /// `E0007`: a malformed numeric literal.
  public static let invalidNumber = "E0007"
  /// `E0008`: a reserved word used as an identifier.
  public static let reservedIdentifier = "E0008"
  /// `E0009`: an invalid or misplaced backquoted identifier.
  public static let invalidEscapedIdentifier = "E0009"
  /// `E0010`: an invalid string literal prefix.
  public static let invalidLiteralPrefix = "E0010"
  /// `E0011`: nesting deeper than the recursion limit.
  public static let nestingTooDeep = "E0011"
  /// `E0012`: an expression longer than the size limit.
  public static let expressionTooLarge = "E0012"
  /// `E0013`: optional syntax while it is disabled.
  public static let optionalSyntaxDisabled = "E0013"
  /// `E0014`: an invalid macro argument.
  public static let invalidMacroArgument = "E0014"
  /// `E0015`: a macro variable that is not a simple identifier.
  public static let macroVariableNotSimple = "E0015"
  /// `E0016`: a duplicated macro variable, or one overwriting the accumulator.
  public static let invalidMacroVariable = "E0016"
}

/// What the parser accepts.
public struct ParseOptions: Sendable {
  /// Expand macros (`has`, `all`, `exists`, `exists_one`, `map`, `filter`, the two-variable
  /// forms, `transformList`/`transformMap`/`transformMapEntry`, `cel.bind`, `optMap`,
  /// `optFlatMap`); when false they stay plain calls.
  public var enableMacros: Bool
  /// The deepest nesting accepted (parentheses, calls, selections, operators, literals), so that
  /// neither the parser nor later recursive passes can exhaust the stack. cel-go's default: 250.
  public var maxRecursionDepth: Int
  /// The longest expression accepted, in Unicode code points. cel-go's default: 100,000.
  public var maxExpressionCodePoints: Int
  /// Accept optional syntax: `a.?f`, `a[?i]`, `[?x]`, `{?k: v}`, `Msg{?f: v}`, and expand
  /// `optMap`/`optFlatMap`.
  public var enableOptionalSyntax: Bool
  /// Expand the `cel.block`, `cel.index`, `cel.iterVar` and `cel.accuVar` macros of the CEL
  /// conformance suite's `block_ext` tests (as cel-go's conformance harness defines them).
  public var enableBlockExtension: Bool

  /// Options with cel-go's defaults.
  public init(
    enableMacros: Bool = true, maxRecursionDepth: Int = 250, maxExpressionCodePoints: Int = 100_000,
    enableOptionalSyntax: Bool = true, enableBlockExtension: Bool = false
  ) {
    self.enableMacros = enableMacros
    self.maxRecursionDepth = maxRecursionDepth
    self.maxExpressionCodePoints = maxExpressionCodePoints
    self.enableOptionalSyntax = enableOptionalSyntax
    self.enableBlockExtension = enableBlockExtension
  }
}

/// Parses CEL expressions. See `SyntaxCode` for the diagnostics it reports.
public enum CELParser {
  /// Parses `source` into an AST with macros expanded. The AST is nil exactly when the
  /// diagnostics contain an error; diagnostics are ordered by position. Never traps on any input.
  public static func parse(_ source: Source, options: ParseOptions = .init()) -> (AST?, [Diagnostic]) {
    parse(source, options: options, spanOffset: 0)
  }

  /// `parse`, with `spanOffset` added to the AST's spans (not to the diagnostics'): for CEL text
  /// embedded in a larger file, whose spans index that file.
  static func parse(_ source: Source, options: ParseOptions, spanOffset: Int) -> (AST?, [Diagnostic]) {
    var codePoints = 0
    for b in source.utf8 where b & 0xC0 != 0x80 { codePoints += 1 }
    if codePoints > options.maxExpressionCodePoints {
      let d = Diagnostic.error(
        SyntaxCode.expressionTooLarge,
        "expression has \(codePoints) code points, more than the limit of \(options.maxExpressionCodePoints)",
        at: Span(0, source.utf8.count))
      return (nil, [d])
    }
    let (tokens, lexical) = Lexer.tokenize(source)
    var parser = ExprParser(tokens: tokens, source: source, options: options, diagnostics: lexical)
    let root = parser.parseRoot()
    let diagnostics = parser.diagnostics.enumerated()
      .sorted { ($0.element.span.start, $0.offset) < ($1.element.span.start, $1.offset) }
      .map(\.element)
    if diagnostics.hasErrors { return (nil, diagnostics) }
    var spans: [ExprID: Span] = [:]
    spans.reserveCapacity(parser.spanTable.count)
    var maxID = 0
    parser.collectSpans(root, into: &spans, maxID: &maxID, offset: spanOffset)
    return (AST(root: root, source: source, spans: spans, maxID: maxID), diagnostics)
  }
}

/// The parser's state over one token stream. Parsing stops at the first syntax error (later
/// tokens read as the end of input), which keeps diagnostics free of cascades; errors that do not
/// derail the grammar (bad literals, reserved words, macro arguments) are collected and parsing
/// goes on.
///
/// NOTE: the functions that recurse (parseExpr → parseBinary → parseUnary → parseMember →
/// parsePrimary → …) test payload-free `TokenTag`s and leave literals and error reporting to
/// `@inline(never)` helpers, which keeps their stack frames small. Measured in a debug build
/// (objdump of the frames, and a probe): 5–7 KB per nesting level, so ≤ 1.8 MB at the default
/// limit of 250, while an 8 MB thread stack overflows only past ~1,100 levels.
struct ExprParser {
  let tokens: [Token]
  /// The tag of each token, for cheap comparisons.
  let tags: [TokenTag]
  let source: Source
  let options: ParseOptions
  var diagnostics: [Diagnostic]
  var index = 0
  /// Set after a syntax error or when the depth limit is hit; every token then reads as the end.
  var fatal = false
  var depth = 0
  /// The span of each node, by id; ids start at 1 (slot 0 is unused).
  var spanTable: [Span] = [.none]

  init(tokens: [Token], source: Source, options: ParseOptions, diagnostics: [Diagnostic]) {
    self.tokens = tokens
    self.tags = tokens.map(\.kind.tag)
    self.source = source
    self.options = options
    self.diagnostics = diagnostics
    spanTable.reserveCapacity(tokens.count + 1)
  }

  // MARK: - Tokens

  /// The tag of the current token (`.endOfInput` once parsing stopped).
  var tag: TokenTag { fatal ? .endOfInput : tags[index] }

  /// The current token (the end-of-input token once parsing stopped).
  var current: Token { fatal ? tokens[tokens.count - 1] : tokens[index] }

  /// The span of the current token.
  var currentSpan: Span { fatal ? tokens[tokens.count - 1].span : tokens[index].span }

  /// The tag of the token `offset` places ahead of the current one.
  func peek(_ offset: Int) -> TokenTag {
    fatal ? .endOfInput : tags[min(index + offset, tags.count - 1)]
  }

  mutating func advance() {
    if index < tokens.count - 1 { index += 1 }
  }

  mutating func accept(_ t: TokenTag) -> Bool {
    guard tag == t else { return false }
    advance()
    return true
  }

  /// Consumes a token tagged `t`, or reports what was expected and stops parsing.
  mutating func expect(_ t: TokenTag, _ what: StaticString) -> Bool {
    if accept(t) { return true }
    expected(what)
    return false
  }

  @inline(never) mutating func expected(_ what: StaticString) {
    syntaxError("expected \(what), found \(describe(current))", at: currentSpan)
  }

  /// How a message quotes a token: its source text in backquotes, or "end of input".
  func describe(_ token: Token) -> String {
    if token.kind == .endOfInput { return "end of input" }
    return "`\(text(token.span, limit: 24))`"
  }

  /// The source text of a span, shortened to `limit` characters.
  func text(_ span: Span, limit: Int = 40) -> String {
    let bytes = source.utf8
    let s = max(0, min(span.start, bytes.count))
    let e = max(s, min(span.end, bytes.count))
    let t = String(decoding: bytes[s..<e], as: UTF8.self)
    return t.count > limit ? String(t.prefix(limit)) + "…" : t
  }

  // MARK: - Diagnostics

  mutating func error(_ code: String, _ message: String, at span: Span, help: String? = nil) {
    diagnostics.append(.error(code, message, at: span, help: help))
  }

  /// Reports a syntax error (unless one was reported, or the lexer already reported the token
  /// at hand) and stops parsing.
  mutating func syntaxError(_ message: String, at span: Span, help: String? = nil) {
    if !fatal && tags[index] != .invalid {
      error(SyntaxCode.unexpectedToken, message, at: span, help: help)
    }
    fatal = true
  }

  /// Enters one level of nesting; false (with a diagnostic, once) when over the limit. The
  /// caller undoes the increment whether or not it succeeded.
  mutating func enter() -> Bool {
    depth += 1
    guard depth > options.maxRecursionDepth else { return true }
    tooDeep()
    return false
  }

  @inline(never) mutating func tooDeep() {
    if !fatal {
      error(
        SyntaxCode.nestingTooDeep,
        "expression is nested more than \(options.maxRecursionDepth) levels deep", at: tokens[index].span,
        help: "split the expression, or bind parts of it with `cel.bind`")
    }
    fatal = true
  }

  // MARK: - Nodes

  mutating func newID(_ span: Span) -> ExprID {
    spanTable.append(span)
    return spanTable.count - 1
  }

  mutating func make(_ kind: Expr.Kind, _ span: Span) -> Expr {
    Expr(id: newID(span), kind)
  }

  /// A placeholder for a construct that failed; the AST is discarded when there are errors.
  mutating func errorNode(_ span: Span) -> Expr { make(.literal(.null), span) }

  func span(_ e: Expr) -> Span { e.id > 0 && e.id < spanTable.count ? spanTable[e.id] : .none }

  /// Records the span of every node reachable from `e`; ids of dropped nodes are left out.
  /// `offset` is added to every span.
  func collectSpans(_ e: Expr, into spans: inout [ExprID: Span], maxID: inout ExprID, offset: Int = 0) {
    func shifted(_ s: Span) -> Span { offset == 0 ? s : Span(s.start + offset, s.end + offset) }
    spans[e.id] = shifted(span(e))
    maxID = max(maxID, e.id)
    switch e.kind {
    case .literal, .ident: break
    case .select(let operand, _, _): collectSpans(operand, into: &spans, maxID: &maxID, offset: offset)
    case .call(let target, _, let args):
      if let target { collectSpans(target, into: &spans, maxID: &maxID, offset: offset) }
      for a in args { collectSpans(a, into: &spans, maxID: &maxID, offset: offset) }
    case .list(let elements, _):
      for x in elements { collectSpans(x, into: &spans, maxID: &maxID, offset: offset) }
    case .map(let entries):
      for entry in entries {
        spans[entry.id] = shifted(spanTable[entry.id])
        maxID = max(maxID, entry.id)
        collectSpans(entry.key, into: &spans, maxID: &maxID, offset: offset)
        collectSpans(entry.value, into: &spans, maxID: &maxID, offset: offset)
      }
    case .structure(_, let fields):
      for field in fields {
        spans[field.id] = shifted(spanTable[field.id])
        maxID = max(maxID, field.id)
        collectSpans(field.value, into: &spans, maxID: &maxID, offset: offset)
      }
    case .comprehension(let c):
      for x in [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result] {
        collectSpans(x, into: &spans, maxID: &maxID, offset: offset)
      }
    }
  }

  // MARK: - Expressions

  mutating func parseRoot() -> Expr {
    if tokens.count == 1 {
      syntaxError("empty expression", at: tokens[0].span)
      return errorNode(tokens[0].span)
    }
    let e = parseExpr()
    if tag != .endOfInput { trailingInput() }
    return e
  }

  @inline(never) mutating func trailingInput() {
    syntaxError("unexpected \(describe(current)) after the end of the expression", at: currentSpan)
  }

  /// `Expr = ConditionalOr ["?" ConditionalOr ":" Expr]`.
  mutating func parseExpr() -> Expr {
    defer { depth -= 1 }
    guard enter() else { return errorNode(currentSpan) }
    let condition = parseBinary(minPrecedence: 1)
    guard tag == .question else { return condition }
    return parseConditional(condition)
  }

  /// The rest of `condition ? a : b`, at the `?`.
  mutating func parseConditional(_ condition: Expr) -> Expr {
    advance()
    let whenTrue = parseBinary(minPrecedence: 1)
    guard expect(.colon, "`:` in conditional expression") else { return condition }
    let whenFalse = parseExpr()
    return make(
      .call(target: nil, function: Operators.conditional, args: [condition, whenTrue, whenFalse]),
      span(condition).union(span(whenFalse)))
  }

  /// Binary operators by precedence climbing: `||` (1), `&&` (2), relations (3), additive (4),
  /// multiplicative (5). `||` and `&&` chains become balanced trees (as cel-go); the others
  /// associate to the left.
  mutating func parseBinary(minPrecedence: Int) -> Expr {
    var left = parseUnary()
    var levels = 0
    defer { depth -= levels }
    while true {
      let op = tag
      let precedence = Self.precedence(op)
      guard precedence >= minPrecedence else { break }
      levels += 1
      guard enter() else { break }
      if precedence <= 2 {
        left = parseLogicalChain(left, op, precedence)
      } else {
        advance()
        let right = parseBinary(minPrecedence: precedence + 1)
        left = make(
          .call(target: nil, function: Self.function(op), args: [left, right]), span(left).union(span(right)))
      }
    }
    return left
  }

  /// `first op t1 op t2 …` for `op` = `||` or `&&`, as a balanced tree.
  mutating func parseLogicalChain(_ first: Expr, _ op: TokenTag, _ precedence: Int) -> Expr {
    var terms = [first]
    while accept(op) {
      terms.append(parseBinary(minPrecedence: precedence + 1))
    }
    guard terms.count > 1 else { return first }
    return balance(terms, 0, terms.count - 2, Self.function(op))
  }

  /// The balanced tree joining `terms` over operators `lo...hi` (operator i joins terms i, i+1).
  mutating func balance(_ terms: [Expr], _ lo: Int, _ hi: Int, _ function: String) -> Expr {
    let mid = (lo + hi + 1) / 2
    let left = mid == lo ? terms[mid] : balance(terms, lo, mid - 1, function)
    let right = mid == hi ? terms[mid + 1] : balance(terms, mid + 1, hi, function)
    return make(.call(target: nil, function: function, args: [left, right]), span(left).union(span(right)))
  }

  /// The precedence of a binary operator token, 0 for any other token.
  static func precedence(_ t: TokenTag) -> Int {
    switch t {
    case .or: return 1
    case .and: return 2
    case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual, .inKeyword: return 3
    case .plus, .minus: return 4
    case .star, .slash, .percent: return 5
    default: return 0
    }
  }

  /// The function name of a binary operator token.
  static func function(_ t: TokenTag) -> String {
    switch t {
    case .or: return Operators.logicalOr
    case .and: return Operators.logicalAnd
    case .less: return Operators.less
    case .lessEqual: return Operators.lessEquals
    case .greater: return Operators.greater
    case .greaterEqual: return Operators.greaterEquals
    case .equal: return Operators.equals
    case .notEqual: return Operators.notEquals
    case .inKeyword: return Operators.in
    case .plus: return Operators.add
    case .minus: return Operators.subtract
    case .star: return Operators.multiply
    case .slash: return Operators.divide
    default: return Operators.modulo
    }
  }

  /// `Unary = Member | "!" {"!"} Member | "-" {"-"} Member`.
  mutating func parseUnary() -> Expr {
    let op = tag
    guard op == .bang || op == .minus else { return parseMember() }
    return parsePrefixed(op)
  }

  /// A run of `!` or of `-` and its operand. A `-` right before an int or double literal is part
  /// of the literal (as cel-go), so `-9223372036854775808` is the int minimum.
  mutating func parsePrefixed(_ op: TokenTag) -> Expr {
    var run = 0
    while peek(run) == op { run += 1 }
    if op == .minus && (peek(run) == .int || peek(run) == .double) { run -= 1 }
    var starts: [Int] = []
    for _ in 0..<run {
      starts.append(currentSpan.start)
      advance()
    }
    var e = parseMember()
    var levels = 0
    defer { depth -= levels }
    let function = op == .bang ? Operators.logicalNot : Operators.negate
    for start in starts.reversed() {
      levels += 1
      guard enter() else { break }
      e = make(.call(target: nil, function: function, args: [e]), Span(start, span(e).end))
    }
    return e
  }

  /// `Member = Primary | Member "." SELECTOR ["(" [ExprList] ")"] | Member "[" Expr "]"`, with
  /// the optional forms `.?f` and `[?i]`.
  mutating func parseMember() -> Expr {
    var e = parsePrimary()
    var levels = 0
    defer { depth -= levels }
    while true {
      let t = tag
      guard t == .dot || t == .leftBracket else { break }
      levels += 1
      guard enter() else { break }
      guard let next = t == .dot ? parseSelection(on: e) : parseIndex(on: e) else { break }
      e = next
    }
    return e
  }

  /// `operand[i]` or `operand[?i]`, at the `[`; nil after a syntax error.
  mutating func parseIndex(on operand: Expr) -> Expr? {
    let open = currentSpan
    advance()
    let optional = acceptOptionalMarker(open)
    let index = parseExpr()
    let close = currentSpan
    guard expect(.rightBracket, "`]` after index") else { return nil }
    let function = optional ? Operators.optionalIndex : Operators.index
    return make(
      .call(target: nil, function: function, args: [operand, index]), Span(span(operand).start, close.end))
  }

  /// Consumes a `?` marking an optional construct, reporting it when optional syntax is off.
  mutating func acceptOptionalMarker(_ before: Span) -> Bool {
    guard tag == .question else { return false }
    if !options.enableOptionalSyntax { optionalSyntaxDisabled(before) }
    advance()
    return true
  }

  @inline(never) mutating func optionalSyntaxDisabled(_ before: Span) {
    let s = Span(before.start, currentSpan.end)
    error(SyntaxCode.optionalSyntaxDisabled, "optional syntax `\(text(s))` is not enabled", at: s)
  }

  /// `.f`, `.f(args)`, `.?f` or `` .`f` `` after `operand`, at the `.`; nil after a syntax error.
  mutating func parseSelection(on operand: Expr) -> Expr? {
    let dot = currentSpan
    advance()
    let optional = acceptOptionalMarker(dot)
    let t = tag
    guard t == .identifier || t == .escapedIdentifier, let name = identifierText() else {
      badFieldName()
      return nil
    }
    let nameSpan = currentSpan
    advance()
    guard tag == .leftParen && !optional else {
      return selectNode(operand, name, nameSpan, optional: optional)
    }
    if t == .escapedIdentifier { backquotedFunction(name, nameSpan) }
    return parseMemberCall(operand, name)
  }

  /// `operand.name(args)` at the `(`; nil after a syntax error.
  mutating func parseMemberCall(_ operand: Expr, _ name: String) -> Expr? {
    guard let (args, end) = parseArguments() else { return nil }
    return callOrMacro(target: operand, function: name, args: args, span: Span(span(operand).start, end))
  }

  /// `operand.name`, or `operand.?name` as a call of `_?._`.
  @inline(never) mutating func selectNode(_ operand: Expr, _ name: String, _ nameSpan: Span, optional: Bool)
    -> Expr
  {
    let whole = Span(span(operand).start, nameSpan.end)
    guard optional else { return make(.select(operand: operand, field: name, testOnly: false), whole) }
    let field = make(.literal(.string(name)), nameSpan)
    return make(.call(target: nil, function: Operators.optionalSelect, args: [operand, field]), whole)
  }

  /// The text of the current identifier or backquoted identifier token.
  func identifierText() -> String? {
    switch current.kind {
    case .identifier(let name), .escapedIdentifier(let name): return name
    default: return nil
    }
  }

  @inline(never) mutating func badFieldName() {
    let token = current
    switch token.kind {
    case .trueKeyword, .falseKeyword, .nullKeyword, .inKeyword:
      let word = text(token.span)
      syntaxError(
        "expected field name after `.`, found keyword `\(word)`", at: token.span,
        help: "a field named like a keyword is selected with backquotes: .`\(word)`")
    default:
      syntaxError("expected field name after `.`, found \(describe(token))", at: token.span)
    }
  }

  @inline(never) mutating func backquotedFunction(_ name: String, _ span: Span) {
    error(
      SyntaxCode.invalidEscapedIdentifier, "backquoted identifier `\(name)` cannot name a function", at: span)
  }

  /// `"(" [Expr {"," Expr}] ")"` at the current `(`: the arguments and the end of the `)`.
  mutating func parseArguments() -> ([Expr], Int)? {
    advance()
    var args: [Expr] = []
    if tag != .rightParen {
      repeat {
        if !args.isEmpty && tag == .rightParen {
          trailingComma()
          return nil
        }
        args.append(parseExpr())
      } while accept(.comma)
    }
    let close = currentSpan
    guard expect(.rightParen, "`)` after arguments") else { return nil }
    return (args, close.end)
  }

  @inline(never) mutating func trailingComma() {
    syntaxError(
      "expected an argument after `,`, found `)`", at: currentSpan,
      help: "argument lists do not allow a trailing comma")
  }
}
