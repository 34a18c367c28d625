// The rule DSL parser: a `.rules` file → `RuleFile` (RuleAST.swift), by recursive descent over
// tokens that `RuleLexer` produces on demand. CEL text (conditions, defaults, allowed values,
// inline list elements) is carved out by `CELExtent`, parsed by `CELParser`, and its spans and
// diagnostics are shifted so that they index the rule file. The grammar is grammar/
// sentinel-rules.ebnf; docs/language.md is the reference for rule authors.
//
// Files: RuleParser.swift (API, codes, parser state, top level, recovery),
// RuleParser+Declarations.swift (schema, types, lists, conditions, policy),
// RuleParser+Rule.swift (rules and field values), RuleParser+Aggregate.swift (aggregates and
// their windows, WindowDuration.swift), RuleLexer.swift, CELExtent.swift.
//
// Error recovery: a bad declaration is skipped up to the next declaration keyword at the start of
// a line; a bad field up to the next field (the next line, `,` or `}`), so one run reports every
// independent error.

import SentinelModel

/// The diagnostic codes of the rule DSL front end. String literals use CEL's syntax, so their
/// escape errors are CEL's (`E0004`, `E0005`, `E0010`), and so are the errors inside CEL text.
///
/// | code    | meaning                                                                          |
/// |---------|----------------------------------------------------------------------------------|
/// | `E0201` | unexpected character: a character that starts no token (`#`, `;`, `@`)           |
/// | `E0202` | unterminated string literal                                                      |
/// | `E0203` | unknown declaration keyword at the top level (`rul`, `lists`)                     |
/// | `E0204` | unexpected token: the input does not follow the grammar (`expected X, found Y`)   |
/// | `E0205` | unterminated block or list: a `{` without its `}`, a `[` without its `]`          |
/// | `E0206` | unknown field in a rule, an aggregate or the policy (`scroe`)                     |
/// | `E0207` | duplicate field in a rule, an aggregate, the policy or a schema, or a repeated modifier |
/// | `E0208` | unknown action (`blok`); actions are `block`, `review`, `challenge`, `score`      |
/// | `E0209` | invalid integer: a score or threshold that is not a whole number, or out of range |
/// | `E0210` | a rule without a `when:` condition                                                |
/// | `E0211` | a list declaration without contents (`=` or `from`)                               |
/// | `E0212` | unknown or malformed type (`strng`, `list(int, int)`, an object type in a list)   |
/// | `E0213` | missing CEL expression (`when:` with nothing after it, an empty list element)     |
/// | `E0215` | `import` declarations are not supported yet                                       |
/// | `E0216` | invalid field value (`enabled: yes`, `name: fraud`, a bytes literal for a string) |
/// | `E0217` | types or objects nested deeper than 32 levels                                     |
/// | `E0218` | unknown aggregate kind (`cnt`); kinds are `count`, `sum`, `distinct`, `last`, …   |
/// | `E0219` | invalid window: not a duration (`60`, `5x`), not positive, or too long            |
/// | `W0201` | `required_for` on a field that is not optional (it is required for every type)   |
/// | `W0202` | a default on a field that is not optional (the default is never used)            |
/// | `W0203` | a repeated tag or event type in a list                                            |
///
/// `E0214` (`aggregate` not supported yet) is retired: codes are never reused.
public enum RuleSyntaxCode {
  /// `E0201`: a character that starts no token.
  public static let unexpectedCharacter = "E0201"
  /// `E0202`: a string literal without its closing quote.
  public static let unterminatedString = "E0202"
  /// `E0203`: an unknown word where a declaration should start.
  public static let unknownDeclaration = "E0203"
  /// `E0204`: the input does not follow the grammar.
  public static let unexpectedToken = "E0204"
  /// `E0205`: a block or list without its closing bracket.
  public static let unterminatedBlock = "E0205"
  /// `E0206`: an unknown field in a rule, an aggregate or the policy.
  public static let unknownField = "E0206"
  /// `E0207`: a field or modifier given twice.
  public static let duplicateField = "E0207"
  /// `E0208`: an unknown action.
  public static let unknownAction = "E0208"
  /// `E0209`: a score or threshold that is not a whole number in range.
  public static let invalidInteger = "E0209"
  /// `E0210`: a rule without a condition.
  public static let missingWhen = "E0210"
  /// `E0211`: a list declaration without contents.
  public static let missingListContents = "E0211"
  /// `E0212`: an unknown or malformed type.
  public static let invalidType = "E0212"
  /// `E0213`: a missing CEL expression.
  public static let missingExpression = "E0213"
  /// `E0215`: an `import` declaration (not supported yet).
  public static let importUnsupported = "E0215"
  /// `E0216`: a field value of the wrong kind.
  public static let invalidValue = "E0216"
  /// `E0217`: types nested too deeply.
  public static let nestingTooDeep = "E0217"
  /// `E0218`: an unknown aggregate kind.
  public static let unknownAggregateKind = "E0218"
  /// `E0219`: a window that is not a positive duration.
  public static let invalidWindow = "E0219"
  /// `W0201`: `required_for` on a required field.
  public static let requiredForOnRequired = "W0201"
  /// `W0202`: a default on a required field.
  public static let defaultOnRequired = "W0202"
  /// `W0203`: a repeated tag or event type.
  public static let duplicateEntry = "W0203"

  /// Every code of the rule DSL front end, in order.
  public static let all: [String] = [
    unexpectedCharacter, unterminatedString, unknownDeclaration, unexpectedToken, unterminatedBlock,
    unknownField, duplicateField, unknownAction, invalidInteger, missingWhen, missingListContents,
    invalidType, missingExpression, importUnsupported, invalidValue, nestingTooDeep, unknownAggregateKind,
    invalidWindow, requiredForOnRequired, defaultOnRequired, duplicateEntry,
  ]
}

/// The words of the rule language, for tools (highlighting, completion) and the grammar tests.
public enum RuleKeywords {
  /// The words that start a declaration (`runtime` only before `list`); `import` is reserved
  /// for later.
  public static let declarations = [
    "schema", "list", "runtime", "condition", "rule", "policy", "aggregate", "import",
  ]
  /// The fields of a rule, in the formatter's order.
  public static let ruleFields = ["name", "category", "tags", "enabled", "when", "action", "score", "reason"]
  /// The fields of an aggregate, in the formatter's order.
  public static let aggregateFields = ["kind", "of", "key", "where", "window", "include_current"]
  /// Names people write for an aggregate field, with the field that means it (`filter` →
  /// `where`), for "did you mean" helps.
  public static let aggregateFieldSynonyms = [
    "type": "kind", "filter": "where", "when": "where", "if": "where", "value": "of", "field": "of",
    "by": "key", "per": "key", "group_by": "key", "partition": "key", "duration": "window",
    "period": "window", "within": "window", "include": "include_current",
  ]
  /// Names people write for an aggregate kind, with the kind to use (`avg` → `stats`).
  public static let aggregateKindSynonyms = [
    "avg": "stats", "average": "stats", "mean": "stats", "stddev": "stats", "variance": "stats",
    "total": "sum", "unique": "distinct", "count_distinct": "distinct", "cardinality": "distinct",
    "latest": "last", "previous": "last", "prev": "last", "exists": "seen", "first_seen": "seen",
    "new": "seen", "number": "count", "cnt": "count", "num": "count",
  ]
  /// The fields of the policy.
  public static let policyFields = ["review_threshold", "block_threshold"]
  /// The words after a schema field's type, and in list declarations.
  public static let modifiers = ["in", "required_for", "from", "format"]
  /// The type names of schema fields and list elements.
  public static let types = [
    "bool", "int", "uint", "double", "string", "bytes", "timestamp", "duration", "dyn", "null_type", "list",
    "map",
  ]
}

/// Parses rule files written in the rule DSL. See `RuleSyntaxCode` for its diagnostics.
public enum RuleParser {
  /// Parses one `.rules` file. Reports every error it can find (recovering at the next
  /// declaration or field), ordered by position. Returns a `RuleFile` with whatever parsed, even
  /// when there are errors; nil only when there are errors and no declaration parsed. Never traps.
  public static func parse(_ source: Source) -> (RuleFile?, [Diagnostic]) {
    parseInChunks(source) ?? parseInOnePiece(source)
  }

  /// Parses the file from start to end on the calling thread.
  static func parseInOnePiece(_ source: Source) -> (RuleFile?, [Diagnostic]) {
    var parser = RuleParserState(source: source)
    let declarations = parser.parseFile()
    return result(source, declarations, parser.diagnostics, parser.lexer.comments)
  }

  static func result(
    _ source: Source, _ declarations: [Declaration], _ diagnostics: [Diagnostic],
    _ comments: [Located<String>]
  ) -> (RuleFile?, [Diagnostic]) {
    let sorted = diagnostics.enumerated()
      .sorted { ($0.element.span.start, $0.offset) < ($1.element.span.start, $1.offset) }
      .map(\.element)
    if declarations.isEmpty && sorted.hasErrors { return (nil, sorted) }
    return (RuleFile(source: source, declarations: declarations, comments: comments), sorted)
  }

  /// Files at least this long are parsed in chunks, one per core.
  static let chunkedParseMinimumBytes = 64 * 1024

  /// A large file parsed in chunks on all cores (`splitAt`, for tests, forces a single
  /// boundary), or nil to parse it in one piece. Chunks start
  /// at lines that begin, in column 1, with `rule NAME`. Such a line almost always starts a
  /// declaration, and when it does not (it is inside a multi-line string, a block or a
  /// bracketed expression) the chunk before it ends inside that construct and has an error. So
  /// when any chunk has an error the whole file is parsed again in one piece: chunked parsing
  /// is only ever used when it gives exactly what the one-piece parse gives, and errors are
  /// always reported by the one-piece parse.
  static func parseInChunks(
    _ source: Source, chunks: Int = ParallelMap.processorCount, minimumBytes: Int = chunkedParseMinimumBytes,
    splitAt forced: Int? = nil
  ) -> (RuleFile?, [Diagnostic])? {
    let bytes = source.utf8
    guard chunks > 1, bytes.count >= minimumBytes else { return nil }
    var starts = [0]
    if let forced { starts.append(forced) }
    for k in 1..<chunks where forced == nil {
      guard let s = declarationLine(in: bytes, after: bytes.count * k / chunks), s > (starts.last ?? 0)
      else { continue }
      starts.append(s)
    }
    guard starts.count > 1 else { return nil }
    let ranges = (0..<starts.count).map { k in
      starts[k]..<(k + 1 < starts.count ? starts[k + 1] : bytes.count)
    }
    let parsed = ParallelMap.map(ranges, minimumCount: 2) { range in
      var parser = RuleParserState(source: source, range: range)
      let declarations = parser.parseFile()
      return (declarations, parser.diagnostics, parser.lexer.comments)
    }
    if parsed.contains(where: { $0.1.hasErrors }) { return nil }
    return result(
      source, parsed.flatMap(\.0), parsed.flatMap(\.1), parsed.flatMap(\.2))
  }

  /// The offset of the first line at or after `offset` that begins with `rule` (column 1), one
  /// or more spaces or tabs, and a name.
  static func declarationLine(in bytes: [UInt8], after offset: Int) -> Int? {
    let word = Array("rule".utf8)
    var i = offset
    while i < bytes.count {
      guard let newline = bytes[i...].firstIndex(of: Byte.newline) else { return nil }
      let line = newline + 1
      var j = line + word.count
      if j < bytes.count, bytes[line..<j].elementsEqual(word), bytes[j] == Byte.space || bytes[j] == Byte.tab
      {
        while j < bytes.count && (bytes[j] == Byte.space || bytes[j] == Byte.tab) { j += 1 }
        if j < bytes.count && Byte.isIdentStart(bytes[j]) { return line }
      }
      i = line
    }
    return nil
  }
}

/// The parser's state over one file.
struct RuleParserState {
  let source: Source
  var lexer: RuleLexer
  /// The current token, once lexed.
  private var lookahead: RuleToken? = nil
  /// The end of the last consumed token or CEL text.
  var lastEnd = 0
  var diagnostics: [Diagnostic] = []
  /// While positive, lexical errors are not reported (error recovery is skipping text).
  var quiet = 0
  /// Starts of the erroneous tokens already reported.
  private var reportedLexical: Set<Int> = []
  /// The deepest nesting of types and objects accepted.
  static let maxDepth = 32

  init(source: Source) {
    self.source = source
    lexer = RuleLexer(bytes: source.utf8)
  }

  /// A parser of the declarations in `range` of the file (`range` starts at a line start).
  init(source: Source, range: Range<Int>) {
    self.source = source
    lexer = RuleLexer(bytes: Array(source.utf8[..<range.upperBound]), start: range.lowerBound)
    lastEnd = range.lowerBound
  }

  // MARK: - Tokens

  /// The current token (lexed on first use).
  var current: RuleToken {
    mutating get {
      if let t = lookahead { return t }
      let t = lexer.next()
      lookahead = t
      if quiet == 0 { reportLexical(t) }
      return t
    }
  }

  /// Consumes the current token.
  @discardableResult
  mutating func advance() -> RuleToken {
    let t = current
    lookahead = nil
    if t.kind != .endOfInput { lastEnd = t.span.end }
    return t
  }

  /// The token after the current one (nothing is recorded or reported).
  mutating func peek() -> RuleToken {
    _ = current
    let save = lexer.pos
    let t = lexer.next()
    lexer.move(to: save)
    return t
  }

  /// Forgets the current token, so the lexer stands where it starts (or after the last token).
  mutating func unlex() {
    if let t = lookahead {
      lexer.move(to: t.span.start)
      lookahead = nil
    }
  }

  /// The source text of a token.
  func text(_ t: RuleToken) -> String { lexer.text(t.span) }

  /// Whether `t` is the identifier `word`.
  func isWord(_ t: RuleToken, _ word: String) -> Bool {
    t.kind == .identifier && t.span.end - t.span.start == word.utf8.count && text(t) == word
  }

  /// How a token is named in messages.
  func describe(_ t: RuleToken) -> String {
    switch t.kind {
    case .endOfInput: return "end of input"
    case .string, .unterminatedString:
      let s = text(t)
      return s.count > 24 ? "string `\(s.prefix(21))...`" : "string `\(s)`"
    default:
      let s = text(t)
      return "`\(s.count > 24 ? String(s.prefix(21)) + "..." : s)`"
    }
  }

  /// Whether `t` starts a declaration: a declaration keyword not used as a field name.
  mutating func isDeclarationStart(_ t: RuleToken) -> Bool {
    guard t.kind == .identifier, CELExtent.declarationKeywords.contains(text(t)) else { return false }
    let next = peek()
    return !next.isPunct(Byte.colon) && !next.isPunct(Byte.question)
  }

  // MARK: - Diagnostics

  mutating func error(_ code: String, _ message: String, _ span: Span, help: String? = nil) {
    diagnostics.append(.error(code, message, at: span, help: help))
  }

  mutating func warning(_ code: String, _ message: String, _ span: Span, help: String? = nil) {
    diagnostics.append(Diagnostic(.warning, code, message, at: span, help: help))
  }

  /// Reports a lexically erroneous token once.
  mutating func reportLexical(_ t: RuleToken) {
    guard t.kind == .invalid || t.kind == .unterminatedString,
      !reportedLexical.contains(t.span.start)
    else { return }
    reportedLexical.insert(t.span.start)
    if t.kind == .unterminatedString {
      error(
        RuleSyntaxCode.unterminatedString, "unterminated string literal", t.span,
        help: "a quoted string ends on the line it starts; use ''' or \"\"\" for text with line breaks")
      return
    }
    let c = text(t)
    let help: String?
    switch c {
    case "#": help = "comments start with `//`"
    case ";": help = "fields are separated by line breaks or `,`"
    default: help = nil
    }
    error(RuleSyntaxCode.unexpectedCharacter, "unexpected character `\(c)`", t.span, help: help)
  }

  /// Reports that `t` is not what `expected` describes (lexical errors report themselves).
  mutating func unexpected(_ t: RuleToken, _ expected: String, help: String? = nil) {
    if t.kind == .invalid || t.kind == .unterminatedString {
      reportLexical(t)
      return
    }
    error(RuleSyntaxCode.unexpectedToken, "expected \(expected), found \(describe(t))", t.span, help: help)
  }

  /// `did you mean `x`?` for the closest candidate, if one is close.
  func suggestion(_ word: String, _ candidates: [String]) -> String? {
    guard let best = Suggest.closest(word, candidates) else { return nil }
    return "did you mean `\(best)`?"
  }

  /// `line:column` of a byte offset, for messages.
  func position(of offset: Int) -> String {
    let (line, column) = source.location(of: offset)
    return "\(line):\(column)"
  }

  // MARK: - Recovery

  /// Skips to the next declaration keyword at the start of a line (at once if the current token
  /// is one).
  mutating func skipToDeclaration() {
    quiet += 1
    defer { quiet -= 1 }
    while true {
      let t = current
      if t.kind == .endOfInput { return }
      if t.atLineStart && isDeclarationStart(t) { return }
      advance()
    }
  }

  /// Skips the rest of a field: CEL-like text up to the next field, `,` or `}`, and any stray
  /// tokens up to the next line. With `value`, the skipped text starts right at the lexer's
  /// position even on the next line (a value after `key:`); else nothing is skipped when the
  /// current token starts a line.
  mutating func skipMember(value: Bool = false) {
    quiet += 1
    defer { quiet -= 1 }
    var carveFirst = value
    while true {
      if !carveFirst {
        let t = current
        if t.atLineStart || t.isPunct(Byte.comma) || t.isPunct(Byte.rightBrace) || t.kind == .endOfInput {
          return
        }
      }
      carveFirst = false
      unlex()
      let e = CELExtent.scan(lexer.bytes, from: lexer.pos)
      if !e.isEmpty {
        lexer.move(to: e.end)
        lastEnd = e.end
      }
      let t = current
      if t.atLineStart || t.isPunct(Byte.comma) || t.isPunct(Byte.rightBrace) || t.kind == .endOfInput {
        return
      }
      advance()
    }
  }

  // MARK: - Embedded CEL

  /// Carves the CEL text that starts at the lexer's position (after `key:` or `=`), and parses
  /// it. Reports a missing expression at `key`; returns nil when there is none or it has errors.
  mutating func embeddedExpression(after key: Span, _ what: String) -> EmbeddedExpression? {
    unlex()
    let e = CELExtent.scan(lexer.bytes, from: lexer.pos)
    if e.isEmpty {
      error(
        RuleSyntaxCode.missingExpression, "missing expression after \(what)", key,
        help: "write a CEL expression on the same line, e.g. `event.amount > 1000.0`")
      lexer.move(to: e.start)
      return nil
    }
    lexer.move(to: e.end)
    lastEnd = e.end
    return embed(Span(e.start, e.end))
  }

  /// Parses the CEL text at `span` of the file, with spans and diagnostics in file offsets.
  mutating func embed(_ span: Span) -> EmbeddedExpression? {
    let text = lexer.text(span)
    let (ast, cel) = CELParser.parse(
      Source(name: source.name, text: text), options: ParseOptions(), spanOffset: span.start)
    for var d in cel {
      d.span = Span(d.span.start + span.start, d.span.end + span.start)
      diagnostics.append(d)
    }
    guard var ast else { return nil }
    ast.source = source
    return EmbeddedExpression(text: text, span: span, ast: ast)
  }

  // MARK: - Top level

  /// Parses every declaration of the file.
  mutating func parseFile() -> [Declaration] {
    var declarations: [Declaration] = []
    while true {
      let t = current
      if t.kind == .endOfInput { break }
      if t.kind == .identifier && isDeclarationStart(t) {
        switch text(t) {
        case "schema": if let d = parseSchema() { declarations.append(.schema(d)) }
        case "list": if let d = parseList() { declarations.append(.list(d)) }
        case "runtime": if let d = parseRuntimeList() { declarations.append(.list(d)) }
        case "condition": if let d = parseCondition() { declarations.append(.condition(d)) }
        case "rule": if let d = parseRule() { declarations.append(.rule(d)) }
        case "policy": if let d = parsePolicy() { declarations.append(.policy(d)) }
        case "aggregate": if let d = parseAggregate() { declarations.append(.aggregate(d)) }
        default:
          error(
            RuleSyntaxCode.importUnsupported, "`import` is not supported yet", t.span,
            help: "compile several files together by passing them, or their directory, to the compiler")
          advance()
          skipToDeclaration()
        }
        continue
      }
      let help = "a declaration starts with `schema`, `list`, `condition`, `rule`, `aggregate` or `policy`"
      if t.kind == .identifier {
        let word = text(t)
        error(
          RuleSyntaxCode.unknownDeclaration, "unknown declaration `\(word)`", t.span,
          help: suggestion(word, ["schema", "list", "condition", "rule", "aggregate", "policy"]) ?? help)
      } else if t.isPunct(Byte.rightBrace) {
        error(RuleSyntaxCode.unexpectedToken, "unexpected `}`", t.span, help: "this `}` closes no block")
      } else {
        unexpected(t, "a declaration", help: help)
      }
      advance()
      skipToDeclaration()
    }
    return declarations
  }

  /// Consumes an identifier naming `what`; reports and returns nil otherwise.
  mutating func expectName(_ what: String, help: String? = nil) -> Located<String>? {
    let t = current
    guard t.kind == .identifier else {
      unexpected(t, what, help: help)
      return nil
    }
    advance()
    return Located(text(t), t.span)
  }

  /// Consumes the punctuation `b`; reports `expected` and returns nil otherwise.
  mutating func expectPunct(_ b: UInt8, _ expected: String, help: String? = nil) -> RuleToken? {
    let t = current
    guard t.isPunct(b) else {
      unexpected(t, expected, help: help)
      return nil
    }
    return advance()
  }

  /// After a one-line declaration: the next token must start a line (or end the input).
  mutating func expectEndOfDeclaration(_ what: String) {
    let t = current
    if t.atLineStart || t.kind == .endOfInput { return }
    unexpected(t, "a line break after the \(what)")
    skipToDeclaration()
  }

  /// Parses the members of a block whose `{` (at `open`) was just consumed, up to its `}`.
  /// Members are separated by line breaks or `,`. Returns the end of the block.
  mutating func parseBlock(open: Span, _ what: String, member: (inout RuleParserState) -> Void) -> Int {
    while true {
      let t = current
      if t.isPunct(Byte.rightBrace) {
        advance()
        return t.span.end
      }
      if t.kind == .endOfInput || (t.atLineStart && isDeclarationStart(t)) {
        error(
          RuleSyntaxCode.unterminatedBlock, "unterminated \(what): missing `}`", open,
          help: "add `}` after the last field of the block opened here")
        return lastEnd
      }
      if t.isPunct(Byte.comma) {
        error(RuleSyntaxCode.unexpectedToken, "unexpected `,`", t.span, help: "remove the extra `,`")
        advance()
        continue
      }
      let before = t.span.start
      member(&self)
      if current.span.start == before {
        // The member reported an error without consuming anything: move on.
        quiet += 1
        advance()
        quiet -= 1
      }
      let s = current
      if s.isPunct(Byte.comma) {
        advance()
        continue
      }
      if s.isPunct(Byte.rightBrace) || s.kind == .endOfInput || s.atLineStart { continue }
      unexpected(s, "a line break or `,` after the field", help: "put each field on its own line")
      skipMember()
    }
  }
}

/// "Did you mean" suggestions by edit distance.
enum Suggest {
  /// The candidate closest to `word` (optimal string alignment distance: insertions, deletions,
  /// substitutions and adjacent transpositions), if close enough to be a likely typo.
  static func closest(_ word: String, _ candidates: [String]) -> String? {
    let w = Array(word.lowercased().utf8.prefix(64))
    let limit = w.count <= 3 ? 1 : (w.count <= 6 ? 2 : 3)
    var best: (String, Int)? = nil
    for c in candidates where c != word {
      let d = distance(w, Array(c.utf8))
      if d <= limit && d < (best?.1 ?? Int.max) { best = (c, d) }
    }
    return best?.0
  }

  static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
        if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
          d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
        }
      }
    }
    return d[a.count][b.count]
  }
}
