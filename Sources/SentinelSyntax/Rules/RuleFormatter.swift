// The canonical layout of rule files (`sentinel fmt`): 2-space indentation, one field per line,
// rule and aggregate fields in a fixed order, windows in their canonical text (`1h30m`; an
// explicit `window: unbounded`, the default, is left out), a blank line between declarations. CEL text is re-emitted as
// written, trimmed; a multi-line expression keeps its line breaks with its indentation
// normalized (kept verbatim when it holds a triple-quoted string, whose text indentation is).
//
// Comments: every comment of `RuleFile.comments` is kept. Each is attached to the nearest
// layout item — trailing when it follows an item on that item's last line, otherwise leading the
// next item — and printed with it (RuleFormatter+Comments.swift). A comment at a place the
// layout has no line for (between `rule` and its id, inside a one-line type) moves to the next
// item's line. Blank lines between comments and their item are kept (at most one).
//
// Idempotent: format(parse(format(f))) == format(f); and parse(format(f)) equals parse(f) up to
// spans (`RuleFileDump`). Both are tested on hand-written and generated files.

import SentinelModel

/// Formats rule files in the canonical layout.
public enum RuleFormatter {
  /// The longest line the formatter lays out on one line when it can break it.
  public static let lineLength = 100

  /// The canonical text of a parsed file (normally one without errors).
  public static func format(_ file: RuleFile) -> String {
    var printer = RulePrinter(file: file)
    return printer.run()
  }

  /// Parses and formats `source`. Returns nil (with the diagnostics) when the file has errors:
  /// a file with errors is never rewritten.
  public static func format(_ source: Source) -> (String?, [Diagnostic]) {
    let (file, diagnostics) = RuleParser.parse(source)
    guard let file, !diagnostics.hasErrors else { return (nil, diagnostics) }
    return (format(file), diagnostics)
  }

  /// For `fmt --check`: whether `source` is already in the canonical layout; nil when it has
  /// errors (see the diagnostics).
  public static func isFormatted(_ source: Source) -> (Bool?, [Diagnostic]) {
    let (text, diagnostics) = format(source)
    guard let text else { return (nil, diagnostics) }
    return (text == source.text, diagnostics)
  }

  /// A double-quoted CEL string literal denoting `s`.
  public static func quote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 || scalar.value == 0x7F {
          let hex = String(scalar.value, radix: 16, uppercase: true)
          out += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }

  /// A name as written in tags: bare when it is an identifier, else quoted.
  static func nameText(_ s: String) -> String {
    guard let first = s.utf8.first, Byte.isIdentStart(first), s.utf8.allSatisfy(Byte.isIdentContinue) else {
      return quote(s)
    }
    return s
  }

  /// A CEL type in the DSL's notation (`timestamp`, not `google.protobuf.Timestamp`).
  public static func typeText(_ t: CELType) -> String {
    switch t {
    case .list(let e): return "list(\(typeText(e)))"
    case .map(let k, let v): return "map(\(typeText(k)), \(typeText(v)))"
    case .timestamp: return "timestamp"
    case .duration: return "duration"
    case .null: return "null_type"
    default: return t.description
    }
  }

  /// The lines of CEL `text`: the first as is, the others re-indented to `indent` plus their
  /// indentation relative to the least indented of them (verbatim when the text holds a
  /// triple-quoted string, where indentation is part of the string).
  static func celLines(_ text: String, indent: String) -> [String] {
    let bytes = Array(text.utf8)
    let lines = bytes.split(separator: Byte.newline, omittingEmptySubsequences: false)
    guard lines.count > 1 else { return [text] }
    if text.contains("'''") || text.contains("\"\"\"") {
      return lines.map { String(decoding: $0, as: UTF8.self) }
    }
    func trimmedEnd(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
      var s = s
      while let last = s.last, Byte.isSpace(last) { s = s.dropLast() }
      return s
    }
    func indentWidth(_ s: ArraySlice<UInt8>) -> Int { s.prefix { Byte.isSpace($0) }.count }
    let rest = lines.dropFirst().map(trimmedEnd)
    let least = rest.filter { !$0.isEmpty }.map(indentWidth).min() ?? 0
    var out = [String(decoding: trimmedEnd(lines[0]), as: UTF8.self)]
    for line in rest {
      if line.isEmpty {
        out.append("")
        continue
      }
      let w = indentWidth(line)
      out.append(
        indent + String(repeating: " ", count: w - least) + String(decoding: line.dropFirst(w), as: UTF8.self)
      )
    }
    return out
  }
}

/// What a layout item is, for attaching comments.
enum AnchorKind: UInt8 {
  /// The first line of a block declaration (`rule x {`) or of an inline list declaration.
  case head
  /// A field line (a rule, policy or schema field with a scalar type).
  case member
  /// An element of a bracketed list.
  case element
  /// A closing `}` or `]`.
  case close
  /// A one-line declaration (a condition, a list from a file).
  case whole
  /// The first line of an object-typed field (`geo?: {`).
  case objectHead
  /// The end of the file.
  case end
}

/// A layout item comments attach to: its kind and source span.
struct AnchorKey: Hashable {
  var kind: AnchorKind
  var start: Int
  var end: Int
}

/// Lays out one file.
struct RulePrinter {
  let file: RuleFile
  let bytes: [UInt8]
  var out: [String] = []
  /// Comments by anchor: leading (before the item) and trailing (after its last line).
  var leading: [AnchorKey: [Int]] = [:]
  var trailing: [AnchorKey: [Int]] = [:]
  var emitted: Set<Int> = []

  init(file: RuleFile) {
    self.file = file
    bytes = file.source.utf8
  }

  mutating func run() -> String {
    attachComments()
    for (n, d) in file.declarations.enumerated() {
      if n > 0 { out.append("") }
      switch d {
      case .schema(let s): printSchema(s)
      case .list(let l): printList(l)
      case .condition(let c): printCondition(c)
      case .rule(let r): printRule(r)
      case .policy(let p): printPolicy(p)
      case .aggregate(let a): printAggregate(a)
      }
    }
    // Comments after the last declaration, and any never placed (only with unusual ASTs).
    let endKey = AnchorKey(kind: .end, start: bytes.count, end: bytes.count)
    var rest = (leading[endKey] ?? []) + (trailing[endKey] ?? [])
    rest += file.comments.indices.filter { !emitted.contains($0) && !rest.contains($0) }
    rest = rest.filter { !emitted.contains($0) }.sorted()
    if !rest.isEmpty {
      if !out.isEmpty { out.append("") }
      emitComments(rest, indent: "", before: bytes.count)
    }
    while out.last == "" { out.removeLast() }
    return out.isEmpty ? "" : out.joined(separator: "\n") + "\n"
  }

  // MARK: - Lines and comments

  /// Emits the leading comments of `key` at `indent`.
  mutating func emitLeading(_ key: AnchorKey, indent: String) {
    let ids = (leading[key] ?? []).filter { !emitted.contains($0) }
    emitComments(ids, indent: indent, before: key.start)
  }

  /// Emits comments on their own lines, keeping one blank line where the source has one
  /// between a comment and what follows it (`before`: where the item they lead starts).
  mutating func emitComments(_ ids: [Int], indent: String, before: Int) {
    for (n, i) in ids.enumerated() {
      emitted.insert(i)
      let c = file.comments[i]
      out.append(indent + c.value)
      let next = n + 1 < ids.count ? file.comments[ids[n + 1]].span.start : before
      if blankLineBetween(c.span.end, next) { out.append("") }
    }
  }

  /// Appends the trailing comments of `key` to the last line.
  mutating func emitTrailing(_ key: AnchorKey) {
    for i in trailing[key] ?? [] where !emitted.contains(i) {
      emitted.insert(i)
      if out.isEmpty { out.append("") }
      out[out.count - 1] += (out[out.count - 1].isEmpty ? "" : "  ") + file.comments[i].value
    }
  }

  /// Whether the source has an empty line between offsets `a` and `b`.
  func blankLineBetween(_ a: Int, _ b: Int) -> Bool {
    var newlines = 0
    var i = max(0, a)
    let end = min(b, bytes.count)
    while i < end {
      if bytes[i] == Byte.newline {
        newlines += 1
        if newlines >= 2 { return true }
      } else if !Byte.isSpace(bytes[i]) {
        newlines = 0
      }
      i += 1
    }
    return false
  }

  // MARK: - Declarations

  mutating func printSchema(_ s: SchemaDecl) {
    let head = AnchorKey(kind: .head, start: s.span.start, end: s.name.span.end)
    emitLeading(head, indent: "")
    out.append("schema \(s.name.value) {")
    emitTrailing(head)
    printFields(s.fields, indent: "  ")
    printClose(blockEnd: s.span.end, indent: "")
  }

  /// Emits the leading comments of a block's `}`, the `}` and its trailing comments.
  mutating func printClose(blockEnd: Int, indent: String, suffix: String = "") {
    let key = AnchorKey(kind: .close, start: max(0, blockEnd - 1), end: blockEnd)
    emitLeading(key, indent: indent + "  ")
    out.append(indent + "}" + suffix)
    emitTrailing(key)
  }

  mutating func printFields(_ fields: [FieldDecl], indent: String) {
    for f in fields { printField(f, indent: indent) }
  }

  mutating func printField(_ f: FieldDecl, indent: String) {
    let name = f.name.value + (f.optional ? "?" : "") + ": "
    switch f.type {
    case .object(let fields, let span):
      let head = AnchorKey(kind: .objectHead, start: f.name.span.start, end: span.start + 1)
      emitLeading(AnchorKey(kind: .member, start: f.name.span.start, end: f.span.end), indent: indent)
      emitLeading(head, indent: indent)
      out.append(indent + name + "{")
      emitTrailing(head)
      printFields(fields, indent: indent + "  ")
      let key = AnchorKey(kind: .close, start: max(0, span.end - 1), end: span.end)
      emitLeading(key, indent: indent + "  ")
      out.append(indent + "}")
      emitTrailing(key)
      printModifiers(f, indent: indent)
      emitTrailing(AnchorKey(kind: .member, start: f.name.span.start, end: f.span.end))
    case .cel(let type, _):
      let key = AnchorKey(kind: .member, start: f.name.span.start, end: f.span.end)
      emitLeading(key, indent: indent)
      out.append(indent + name + RuleFormatter.typeText(type))
      printModifiers(f, indent: indent)
      emitTrailing(key)
    }
  }

  /// Appends ` in [...]`, ` required_for [...]` and ` = default` to the last line.
  mutating func printModifiers(_ f: FieldDecl, indent: String) {
    if let values = f.allowedValues {
      let list = BracketList(
        elements: values.map { ($0.text, $0.span) }, close: listClose(after: values.last?.span.end))
      appendList(list, prefix: " in ", indent: indent)
    }
    if let types = f.requiredFor {
      let list = BracketList(
        elements: types.map { (RuleFormatter.quote($0.value), $0.span) },
        close: listClose(after: types.last?.span.end))
      appendList(list, prefix: " required_for ", indent: indent)
    }
    if let d = f.defaultValue {
      let lines = RuleFormatter.celLines(d.text, indent: indent + "  ")
      out[out.count - 1] += " = " + (lines.first ?? "")
      out.append(contentsOf: lines.dropFirst())
    }
  }

  mutating func printList(_ l: ListDecl) {
    var line = (l.runtime ? "runtime list " : "list ") + l.name.value
    if let t = l.elementType, case .cel(let type, _) = t { line += ": " + RuleFormatter.typeText(type) }
    switch l.contents {
    case .file(let path, let format):
      let key = AnchorKey(kind: .whole, start: l.span.start, end: l.span.end)
      emitLeading(key, indent: "")
      line += " from " + RuleFormatter.quote(path.value)
      if let format { line += " format " + format.value }
      out.append(line)
      emitTrailing(key)
    case .inline(let values):
      let head = AnchorKey(kind: .head, start: l.span.start, end: l.name.span.end)
      emitLeading(head, indent: "")
      out.append(line)
      let close = listClose(after: values.last?.span.end)
      let list = BracketList(elements: values.map { ($0.text, $0.span) }, close: close)
      let headComments = !(trailing[head] ?? []).isEmpty
      appendList(list, prefix: " = ", indent: "", forceMultiline: headComments, head: head)
    }
  }

  mutating func printCondition(_ c: ConditionDecl) {
    let key = AnchorKey(kind: .whole, start: c.span.start, end: c.span.end)
    emitLeading(key, indent: "")
    let lines = RuleFormatter.celLines(c.expression.text, indent: "  ")
    out.append("condition \(c.name.value) = " + (lines.first ?? ""))
    out.append(contentsOf: lines.dropFirst())
    emitTrailing(key)
  }

  mutating func printRule(_ r: RuleDecl) {
    let head = AnchorKey(kind: .head, start: r.span.start, end: r.id.span.end)
    emitLeading(head, indent: "")
    out.append("rule \(r.id.value) {")
    emitTrailing(head)
    let i = "  "
    if let v = r.name { printMember("name", RuleFormatter.quote(v.value), v.span, indent: i) }
    if let v = r.category { printMember("category", v.value, v.span, indent: i) }
    if let first = r.tags.first, let last = r.tags.last {
      let close = listClose(after: last.span.end)
      let key = AnchorKey(kind: .member, start: first.span.start, end: close?.end ?? last.span.end)
      emitLeading(key, indent: i)
      out.append(i + "tags:")
      let list = BracketList(
        elements: r.tags.map { (RuleFormatter.nameText($0.value), $0.span) }, close: close)
      appendList(list, prefix: " ", indent: i)
      emitTrailing(key)
    }
    if let v = r.enabled { printMember("enabled", v.value ? "true" : "false", v.span, indent: i) }
    if let w = r.when { printExpressionMember("when", w, indent: i) }
    if let v = r.action { printMember("action", v.value.rawValue, v.span, indent: i) }
    if let v = r.score { printMember("score", String(v.value), v.span, indent: i) }
    if let v = r.reason { printMember("reason", RuleFormatter.quote(v.value), v.span, indent: i) }
    printClose(blockEnd: r.span.end, indent: "")
  }

  mutating func printPolicy(_ p: PolicyDecl) {
    let head = AnchorKey(kind: .head, start: p.span.start, end: min(p.span.end, p.span.start + 6))
    emitLeading(head, indent: "")
    out.append("policy {")
    emitTrailing(head)
    if let v = p.reviewThreshold { printMember("review_threshold", String(v.value), v.span, indent: "  ") }
    if let v = p.blockThreshold { printMember("block_threshold", String(v.value), v.span, indent: "  ") }
    printClose(blockEnd: p.span.end, indent: "")
  }

  /// `aggregate name { … }` with its fields in the order of `RuleKeywords.aggregateFields`;
  /// the window in its canonical text (`WindowDuration.format`).
  mutating func printAggregate(_ a: AggregateDecl) {
    let head = AnchorKey(kind: .head, start: a.span.start, end: a.name.span.end)
    emitLeading(head, indent: "")
    out.append("aggregate \(a.name.value) {")
    emitTrailing(head)
    let i = "  "
    if let v = a.kind { printMember("kind", v.value.rawValue, v.span, indent: i) }
    if let e = a.of { printExpressionMember("of", e, indent: i) }
    if let e = a.key { printExpressionMember("key", e, indent: i) }
    if let e = a.filter { printExpressionMember("where", e, indent: i) }
    if let v = a.window { printMember("window", WindowDuration.format(v.value), v.span, indent: i) }
    if let v = a.includeCurrent {
      printMember("include_current", v.value ? "true" : "false", v.span, indent: i)
    }
    printClose(blockEnd: a.span.end, indent: "")
  }

  /// `key: <CEL>` from its own line, continuation lines re-indented, with its comments.
  mutating func printExpressionMember(_ key: String, _ e: EmbeddedExpression, indent: String) {
    let anchor = AnchorKey(kind: .member, start: e.span.start, end: e.span.end)
    emitLeading(anchor, indent: indent)
    let lines = RuleFormatter.celLines(e.text, indent: indent + "  ")
    out.append(indent + key + ": " + (lines.first ?? ""))
    out.append(contentsOf: lines.dropFirst())
    emitTrailing(anchor)
  }

  /// `key: value` on its own line, with its comments.
  mutating func printMember(_ key: String, _ value: String, _ span: Span, indent: String) {
    let anchor = AnchorKey(kind: .member, start: span.start, end: span.end)
    emitLeading(anchor, indent: indent)
    out.append(indent + key + ": " + value)
    emitTrailing(anchor)
  }
}
