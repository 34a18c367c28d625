// Aggregates, as YAML: a mapping of name → fields, the same fields as the DSL's
// `aggregate name { … }` (docs/language.md, "Aggregates"):
//
//     aggregates:
//       failed_logins:
//         kind: count
//         key: event.user_id
//         where: event.type == "login" && !event.success     # or seed conditions
//         window: 60s
//       amounts: {kind: stats, of: event.amount, key: event.user_id, include_current: false}
//
// `key`, `of` and `where` are CEL strings (`where` may also be seed conditions, as a named
// condition may); `window` is the DSL's duration text (`WindowDuration`). As in the DSL, an
// aggregate is kept without the keys that are in error, and whether its keys fit together
// (`kind` and `key` given, `of` exactly when the kind needs it) is the compiler's to check.

import SentinelModel
import SentinelSyntax

extension RuleFileReader {
  static let aggregateKeys = ["kind", "of", "key", "where", "window", "include_current", "description"]

  /// `aggregates:`: name → aggregate mapping.
  mutating func readAggregates(_ node: YNode) -> [Declaration] {
    guard let pairs = mapping(node, "`aggregates`", emptyAllowed: true) else { return [] }
    var out: [Declaration] = []
    for pair in pairs {
      guard let name = key(pair), checkIdentifier(name, "aggregate") else { continue }
      guard
        let fields = mapping(
          pair.value, "aggregate `\(name.value)`",
          help: "write `\(name.value): {kind: count, key: event.user_id, window: 60s}`")
      else { continue }
      out.append(.aggregate(readAggregate(name, fields, span: Self.span(of: pair))))
    }
    return out
  }

  mutating func readAggregate(_ name: Located<String>, _ fields: [YPair], span: Span) -> AggregateDecl {
    var aggregate = AggregateDecl(name: name, span: span)
    for pair in fields {
      guard let key = key(pair) else { continue }
      let value = pair.value
      switch key.value {
      case "kind": aggregate.kind = aggregateKind(value)
      case "of": aggregate.of = expression(value, "`of`", example: "event.amount")
      case "key": aggregate.key = expression(value, "`key`", example: "event.user_id")
      case "where":
        if case .mapping = value.kind {
          guard let t = translate(conditions: value) else { continue }
          if t.isEmpty {
            error(YAMLCode.missingKey, "`where` of aggregate `\(name.value)` is empty", value.span)
            continue
          }
          aggregate.filter = parse(t, whole: value.span)
        } else {
          aggregate.filter = expression(value, "`where`", example: "event.type == \"login\"")
        }
      case "window":
        if let w = window(value) { aggregate.window = w }
      case "include_current": aggregate.includeCurrent = boolean(value, "`include_current`")
      case "description":
        if value.scalar == nil { wrongKind(value, "`description`", expected: "a string") }
      default:
        unknownKey(
          key, known: Self.aggregateKeys, in: "aggregate `\(name.value)`",
          help: RuleKeywords.aggregateFieldSynonyms[key.value].map { "did you mean `\($0)`?" })
      }
    }
    return aggregate
  }

  /// A CEL expression written as a string.
  mutating func expression(_ node: YNode, _ what: String, example: String) -> EmbeddedExpression? {
    guard let t = expressionText(node, what, example: example) else { return nil }
    return parse(t, whole: node.span)
  }

  /// `count`, `sum`, `distinct`, `last`, `stats` or `seen`.
  mutating func aggregateKind(_ node: YNode) -> Located<AggregateKind>? {
    guard let s = string(node, "`kind`") else { return nil }
    if let kind = AggregateKind(rawValue: s.value) { return Located(kind, s.span) }
    let known = AggregateKind.allCases.map(\.rawValue)
    let help =
      Suggestions.closest(to: s.value, among: known)
      ?? RuleKeywords.aggregateKindSynonyms[s.value.lowercased()]
    error(
      YAMLCode.unknownAggregateKind, "unknown aggregate kind `\(s.value)`", s.span,
      help: help.map { "did you mean `\($0)`?" } ?? "kinds: \(known.joined(separator: ", "))")
    return nil
  }

  /// A window: a duration (`60s`, `1h30m`, `1.5h`, `7d`) or `unbounded`. Returns nil for
  /// `unbounded` and after an error (reported).
  mutating func window(_ node: YNode) -> Located<Int64>? {
    guard let s = node.scalar else {
      wrongKind(node, "`window`", expected: "a duration such as `60s`")
      return nil
    }
    if node.isNull {
      error(
        YAMLCode.invalidValue, "`window` is empty", node.span,
        help: "write a duration such as `60s`, or leave `window` out for all time")
      return nil
    }
    let text = s.value
    if text == "unbounded" { return nil }
    if let first = text.unicodeScalars.first, first.properties.isAlphabetic {
      error(
        YAMLCode.invalidWindow, "invalid window `\(text)`: expected a duration such as `60s`", node.span,
        help: Suggestions.closest(to: text, among: ["unbounded"]).map { "did you mean `\($0)`?" }
          ?? "a window is a number and a unit (`10m`, `24h`), or `unbounded`")
      return nil
    }
    switch WindowDuration.parse(text) {
    case .success(let nanos): return Located(nanos, node.span)
    case .failure(let f):
      error(YAMLCode.invalidWindow, f.message, fileSpan(of: f.range, in: s, node: node), help: f.help)
      return nil
    }
  }

  /// The file span of a byte range of a scalar's value: exact where the value is its text
  /// (plain scalars, quotes without escapes), else the whole node.
  func fileSpan(of range: Range<Int>, in scalar: YScalar, node: YNode) -> Span {
    let offsets = text.offsets(of: scalar)
    guard range.lowerBound < range.upperBound, range.upperBound < offsets.count else { return node.span }
    let start = offsets[range.lowerBound]
    let end = offsets[range.upperBound - 1] + 1
    // Offsets that do not run straight through the range (an escape, a folded line) are
    // approximate: point at the whole scalar instead.
    guard end - start == range.count, node.span.start <= start, end <= node.span.end else { return node.span }
    return Span(start, end)
  }
}
