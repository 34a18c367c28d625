// Reads the rule-file format from a `YNode` tree: the top level here, and the typed accessors
// every part of the format uses (each reports what it expected, at the node, and reading goes
// on so that one run reports every error).

import SentinelModel
import SentinelSyntax

/// Reads declarations from a YAML rule file's tree, collecting diagnostics.
struct RuleFileReader {
  let source: Source
  let text: ScalarText
  var diagnostics: [Diagnostic]
  /// The event variable seed conditions are written against.
  var variable = "event"

  init(source: Source, diagnostics: [Diagnostic] = []) {
    self.source = source
    self.text = ScalarText(bytes: source.utf8)
    self.diagnostics = diagnostics
  }

  static let topLevelKeys = [
    "schema", "schemas", "lists", "conditions", "aggregates", "rules", "policy", "version", "description",
  ]

  /// The declarations of a file, in the order written.
  mutating func readFile(_ root: YNode) -> [Declaration] {
    if root.isNull { return [] }
    guard
      let pairs = mapping(
        root, "a rule file",
        help:
          "a rule file is a mapping with `rules:` and optionally `schema:`, `lists:`, `conditions:`, `aggregates:`, `policy:`"
      )
    else { return [] }
    // Seed conditions refer to the event by the variable of a `schemas:` entry, if any.
    for pair in pairs where pair.key.scalar?.value == "schemas" {
      if case .mapping(let schemas) = pair.value.kind, let first = schemas.first?.key.scalar?.value,
        Self.isIdentifier(first)
      {
        variable = first
      }
    }
    var out: [Declaration] = []
    for pair in pairs {
      guard let key = key(pair) else { continue }
      let span = Self.span(of: pair)
      switch key.value {
      case "schema":
        if let s = readSchema(name: Located("event", key.span), pair.value, span: span) {
          out.append(.schema(s))
        }
      case "schemas":
        guard let schemas = mapping(pair.value, "`schemas`", emptyAllowed: true) else { continue }
        for entry in schemas {
          guard let name = self.key(entry), checkIdentifier(name, "schema variable") else { continue }
          if let s = readSchema(name: name, entry.value, span: Self.span(of: entry)) {
            out.append(.schema(s))
          }
        }
      case "lists": out += readLists(pair.value)
      case "conditions": out += readConditions(pair.value)
      case "aggregates": out += readAggregates(pair.value)
      case "rules": out += readRules(pair.value)
      case "policy":
        if let p = readPolicy(pair.value, span: span) { out.append(.policy(p)) }
      case "version", "description":
        if pair.value.scalar == nil { wrongKind(pair.value, "`\(key.value)`", expected: "a string") }
      default:
        unknownKey(key, known: Self.topLevelKeys, in: "a rule file")
      }
    }
    return out
  }

  // MARK: - Reporting

  mutating func error(_ code: String, _ message: String, _ span: Span, help: String? = nil) {
    diagnostics.append(.error(code, message, at: span, help: help))
  }

  mutating func warning(_ code: String, _ message: String, _ span: Span, help: String? = nil) {
    diagnostics.append(Diagnostic(.warning, code, message, at: span, help: help))
  }

  mutating func wrongKind(_ node: YNode, _ what: String, expected: String, help: String? = nil) {
    error(
      YAMLCode.wrongKind, "\(what) must be \(expected), found \(node.kindDescription)", node.span, help: help)
  }

  /// Reports an unknown key, suggesting the closest known one.
  mutating func unknownKey(_ key: Located<String>, known: [String], in what: String, help: String? = nil) {
    let suggestion = Suggestions.closest(to: key.value, among: known)
    let hint =
      suggestion.map { "did you mean `\($0)`?" } ?? help ?? "known keys: \(known.joined(separator: ", "))"
    error(YAMLCode.unknownKey, "unknown key `\(key.value)` in \(what)", key.span, help: hint)
  }

  // MARK: - Accessors

  /// The entries of a mapping; nil (reported) for another kind. A null node is an empty mapping
  /// when `emptyAllowed`.
  mutating func mapping(_ node: YNode, _ what: String, emptyAllowed: Bool = false, help: String? = nil)
    -> [YPair]?
  {
    if case .mapping(let pairs) = node.kind { return pairs }
    if emptyAllowed && node.isNull { return [] }
    wrongKind(node, what, expected: "a mapping", help: help)
    return nil
  }

  /// The items of a list; nil (reported) for another kind. A null node is an empty list when
  /// `emptyAllowed`.
  mutating func sequence(_ node: YNode, _ what: String, emptyAllowed: Bool = false, help: String? = nil)
    -> [YNode]?
  {
    if case .sequence(let items) = node.kind { return items }
    if emptyAllowed && node.isNull { return [] }
    wrongKind(node, what, expected: "a list", help: help)
    return nil
  }

  /// A mapping key as a string (keys are names: scalars).
  mutating func key(_ pair: YPair) -> Located<String>? {
    guard let s = pair.key.scalar, !pair.key.isNull else {
      wrongKind(pair.key, "a key", expected: "a name")
      return nil
    }
    return Located(s.value, pair.key.span)
  }

  /// A scalar's text: any non-null scalar (`id: 101` is the string `101`).
  mutating func string(_ node: YNode, _ what: String) -> Located<String>? {
    guard let s = node.scalar else {
      wrongKind(node, what, expected: "a string")
      return nil
    }
    if node.isNull {
      error(YAMLCode.invalidValue, "\(what) is empty", node.span, help: "write a value after the `:`")
      return nil
    }
    return Located(s.value, node.span)
  }

  /// An integer scalar.
  mutating func integer(_ node: YNode, _ what: String) -> Located<Int>? {
    guard let s = node.scalar else {
      wrongKind(node, what, expected: "an integer")
      return nil
    }
    switch s.typed {
    case .int(let i):
      guard let v = Int(exactly: i) else { break }
      return Located(v, node.span)
    case .invalid(let message):
      error(YAMLCode.invalidValue, message, node.span)
      return nil
    case .double(let d) where d.rounded() == d && abs(d) < 1e15:
      error(
        YAMLCode.invalidValue, "\(what) must be an integer, found `\(s.value)`", node.span,
        help: "write it without a fraction: `\(Int(d))`")
      return nil
    default: break
    }
    error(YAMLCode.invalidValue, "\(what) must be an integer, found \(node.kindDescription)", node.span)
    return nil
  }

  /// A boolean scalar (`true` or `false`).
  mutating func boolean(_ node: YNode, _ what: String) -> Located<Bool>? {
    if let s = node.scalar, case .bool(let b) = s.typed { return Located(b, node.span) }
    var help: String?
    if let s = node.scalar, s.isYAML11Boolean {
      help = "YAML 1.2 reads `\(s.value)` as a string; write `true` or `false`"
    }
    error(
      YAMLCode.invalidValue, "\(what) must be `true` or `false`, found \(node.kindDescription)", node.span,
      help: help)
    return nil
  }

  /// A list of strings; a single string is accepted as a list of one when `single` is set.
  mutating func strings(_ node: YNode, _ what: String, single: Bool = false) -> [Located<String>]? {
    if single, node.scalar != nil, !node.isNull { return string(node, what).map { [$0] } }
    guard let items = sequence(node, what, emptyAllowed: true) else { return nil }
    var out: [Located<String>] = []
    for item in items {
      guard let s = string(item, "an element of \(what)") else { continue }
      if out.contains(where: { $0.value == s.value }) {
        warning(YAMLCode.duplicateEntry, "`\(s.value)` is repeated in \(what)", s.span)
        continue
      }
      out.append(s)
    }
    return out
  }

  // MARK: - Names

  /// Whether a name can be used as a CEL identifier (a list, condition or schema variable).
  static func isIdentifier(_ name: String) -> Bool {
    CELWords.isPlainSelector(name) && !CELWords.reserved.contains(name)
  }

  /// Checks that a declared name is a CEL identifier; reports it otherwise.
  mutating func checkIdentifier(_ name: Located<String>, _ what: String) -> Bool {
    if Self.isIdentifier(name.value) { return true }
    let why =
      CELWords.keywords.contains(name.value) || CELWords.reserved.contains(name.value)
      ? "`\(name.value)` is a reserved word in CEL"
      : "names start with a letter or `_` and continue with letters, digits or `_`"
    error(YAMLCode.invalidName, "invalid \(what) name `\(name.value)`", name.span, help: why)
    return false
  }

  // MARK: - Spans

  /// The span of a mapping entry: its key through its value.
  static func span(of pair: YPair) -> Span {
    let v = pair.value.span
    if v == .none || v.end <= pair.key.span.end { return pair.key.span }
    return pair.key.span.union(v)
  }

  // MARK: - Literals and expressions

  /// Appends the CEL literal for a YAML value (scalars, lists → CEL lists, mappings → CEL maps).
  mutating func appendLiteral(_ node: YNode, to t: inout CELText) -> Bool {
    switch node.kind {
    case .scalar(let s):
      let value = s.typed
      guard let literal = CELLiteral.scalar(value) else {
        if case .invalid(let message) = value { error(YAMLCode.invalidValue, message, node.span) }
        return false
      }
      t.append(literal, at: node.span)
      return true
    case .sequence(let items):
      var ok = true
      t.append("[", at: node.span)
      for (i, item) in items.enumerated() {
        if i > 0 { t.append(", ", at: node.span) }
        ok = appendLiteral(item, to: &t) && ok
      }
      t.append("]", at: node.span)
      return ok
    case .mapping(let pairs):
      var ok = true
      t.append("{", at: node.span)
      for (i, pair) in pairs.enumerated() {
        if i > 0 { t.append(", ", at: node.span) }
        ok = appendLiteral(pair.key, to: &t) && ok
        t.append(": ", at: node.span)
        ok = appendLiteral(pair.value, to: &t) && ok
      }
      t.append("}", at: node.span)
      return ok
    }
  }

  /// A YAML value as a literal CEL expression (schema defaults, allowed values, list elements).
  mutating func literal(_ node: YNode) -> EmbeddedExpression? {
    var t = CELText()
    guard appendLiteral(node, to: &t) else { return nil }
    return parse(t, whole: node.span)
  }

  /// Parses CEL text, keeping its diagnostics.
  mutating func parse(_ t: CELText, whole: Span) -> EmbeddedExpression? {
    let (expression, ds) = t.parse(in: source, whole: whole)
    diagnostics += ds
    return expression
  }

  /// The CEL text of a scalar holding an expression (`when:`, a named condition, an aggregate's
  /// `key:`); `example` is shown when it is empty.
  mutating func expressionText(_ node: YNode, _ what: String, example: String = "event.amount > 1000.0")
    -> CELText?
  {
    guard let s = node.scalar else {
      wrongKind(
        node, what, expected: "a CEL expression (a string)",
        help: "an expression that starts with `[`, `{` or `!` must be quoted")
      return nil
    }
    if node.isNull || s.value.allSatisfy({ $0 == " " || $0 == "\n" || $0 == "\t" }) {
      error(
        YAMLCode.invalidValue, "\(what) is empty", node.span,
        help: "write a CEL expression, e.g. \(example)")
      return nil
    }
    var t = CELText()
    t.append(s, offsets: text.offsets(of: s))
    return t
  }
}
