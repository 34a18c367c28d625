// Helpers for the rule DSL tests: parsing shortcuts, file invariants, and a generator of random
// valid rule files (with random layout, comments and multi-line CEL) for property tests.

import Foundation
import SentinelModel
import SentinelSyntax

/// Parses `text` as a rule file named `name`.
func parseRules(_ text: String, name: String = "test.rules") -> (RuleFile?, [Diagnostic]) {
  RuleParser.parse(Source(name: name, text: text))
}

/// The codes of the diagnostics of `text`, in order.
func ruleCodes(_ text: String) -> [String] { parseRules(text).1.map(\.code) }

/// The text of `span` in `source`.
func slice(_ source: Source, _ span: Span) -> String {
  let s = max(0, min(span.start, source.utf8.count))
  let e = max(s, min(span.end, source.utf8.count))
  return String(decoding: source.utf8[s..<e], as: UTF8.self)
}

/// Every embedded expression of a file.
func embeddedExpressions(_ file: RuleFile) -> [EmbeddedExpression] {
  var out: [EmbeddedExpression] = []
  func fields(_ fs: [FieldDecl]) {
    for f in fs {
      out += f.allowedValues ?? []
      if let d = f.defaultValue { out.append(d) }
      if case .object(let nested, _) = f.type { fields(nested) }
    }
  }
  for d in file.declarations {
    switch d {
    case .schema(let s): fields(s.fields)
    case .list(let l): if case .inline(let values) = l.contents { out += values }
    case .condition(let c): out.append(c.expression)
    case .rule(let r): if let w = r.when { out.append(w) }
    case .policy: break
    case .aggregate(let a): out += [a.key, a.of, a.filter].compactMap { $0 }
    }
  }
  return out
}

/// Checks what must hold for any parse: diagnostics inside the source, a nil file only with
/// errors, embedded expressions whose text is their span's text and whose AST spans and source
/// are the file's. Returns a problem, or nil.
func ruleInvariantProblem(_ source: Source, _ file: RuleFile?, _ diagnostics: [Diagnostic]) -> String? {
  let n = source.utf8.count
  for d in diagnostics where d.span.start < 0 || d.span.end > n || d.span.start > d.span.end {
    return "diagnostic \(d) has span \(d.span) outside the source (\(n) bytes)"
  }
  guard let file else { return diagnostics.hasErrors ? nil : "no file and no error" }
  for e in embeddedExpressions(file) {
    if slice(source, e.span) != e.text {
      return "expression text \(e.text.debugDescription) is not its span's text"
    }
    if e.ast.source.name != source.name || e.ast.source.text != source.text {
      return "expression AST source is not the file"
    }
    for (_, s) in e.ast.spans where s.start < e.span.start || s.end > e.span.end {
      return "AST span \(s) outside its expression \(e.span)"
    }
  }
  for c in file.comments where !slice(source, c.span).hasPrefix("//") || c.span.end > n {
    return "comment \(c.value.debugDescription) has a bad span"
  }
  return nil
}

/// Checks the formatter on a file without errors: the output parses without errors to the same
/// dump, and formatting it again changes nothing. Returns a problem, or nil.
func roundTripProblem(_ text: String) -> String? {
  let source = Source(name: "in.rules", text: text)
  let (parsed, diagnostics) = RuleParser.parse(source)
  guard let file = parsed, !diagnostics.hasErrors else { return nil }
  let formatted = RuleFormatter.format(file)
  let (again, againDiagnostics) = RuleParser.parse(Source(name: "fmt.rules", text: formatted))
  guard let second = again, !againDiagnostics.hasErrors else {
    return
      "formatted text has errors \(againDiagnostics.map(\.description)):\n\(formatted)\n--- from:\n\(text)"
  }
  if RuleFileDump.dump(second) != RuleFileDump.dump(file) {
    return
      "dump changed:\n\(RuleFileDump.dump(file))\n--- became:\n\(RuleFileDump.dump(second))\n--- formatted:\n"
      + "\(formatted)\n--- from:\n\(text)"
  }
  let twice = RuleFormatter.format(second)
  if twice != formatted { return "not idempotent:\n\(formatted)\n--- became:\n\(twice)\n--- from:\n\(text)" }
  return nil
}

/// Generates random valid rule files with random layout.
struct RuleFileGenerator {
  var rng: SplitMix64
  var names: [String] = []

  init(seed: UInt64) { rng = SplitMix64(seed: seed) }

  mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
  mutating func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &rng)] }
  mutating func count(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &rng) }

  mutating func comment() -> String {
    "// "
      + pick(["note", "TODO: check this", "a // nested", "\"quoted\"", "{ braces }", "when: x", "é ü", ""])
  }
  mutating func space() -> String { pick([" ", " ", "  ", "\t"]) }
  mutating func leading(_ indent: String) -> String {
    guard chance(0.2) else { return "" }
    return indent + comment() + "\n" + (chance(0.3) ? "\n" : "")
  }
  mutating func trailing() -> String { chance(0.2) ? space() + comment() : "" }
  mutating func fresh(_ prefix: String) -> String {
    let name = prefix + "_" + String(names.count)
    names.append(name)
    return name
  }

  mutating func file() -> String {
    var parts: [String] = []
    if chance(0.3) { parts.append(comment() + "\n") }
    var hasSchema = false
    for _ in 0..<count(1...6) {
      var kinds = ["list", "condition", "rule", "rule", "policy", "aggregate"]
      if !hasSchema { kinds.append("schema") }
      let kind = pick(kinds)
      if kind == "schema" { hasSchema = true }
      var decl = leading("")
      switch kind {
      case "schema": decl += schema()
      case "list": decl += list()
      case "condition":
        decl += "condition \(fresh("c")) =" + space() + cel(multiline: true, indent: "  ") + trailing()
      case "rule": decl += rule()
      case "aggregate": decl += aggregate()
      default: decl += policy()
      }
      parts.append(decl + "\n" + (chance(0.5) ? "\n" : ""))
    }
    if chance(0.3) { parts.append(comment() + "\n") }
    return parts.joined()
  }

  // MARK: - CEL

  mutating func stringLiteral() -> String {
    pick([
      "\"login\"", "'transaction'", "\"a\\\"b\"", "'it\\'s'", "r'\\d+'", "\"//not a comment\"", "\"}\"",
      "\"x, y\"", "'''tri\nple'''", "\"café\"", "\"when: no\"", "R\"raw\"",
    ])
  }

  mutating func atom() -> String {
    pick([
      "event.amount", "event.type", "event.geo.lat", "size(event.tags)", "has(event.ip)", "1000.0", "42",
      "7u",
      "true", "null", stringLiteral(), "[1, 2, 3]", "{\"k\": 1}", "event.tags.exists(t, t == \"vip\")",
      "event.type in [\"login\", \"withdrawal\"]", "event.ip.startsWith(\"10.\")", "duration(\"1h\")",
      "event.`amount-x`", "!has(event.geo)", "-event.amount",
    ])
  }

  /// A CEL expression; with `multiline`, some operators start a continuation line.
  mutating func cel(multiline: Bool, indent: String, depth: Int = 0) -> String {
    if depth >= 2 || chance(0.35) { return atom() }
    let op = pick(["&&", "||", "==", "!=", "<", "+", "in"])
    let left = cel(multiline: multiline, indent: indent, depth: depth + 1)
    let right = cel(multiline: multiline, indent: indent, depth: depth + 1)
    let l = depth > 0 ? "(" + left + ")" : left
    let r = depth > 0 ? "(" + right + ")" : right
    if multiline && chance(0.3) {
      let note = chance(0.3) ? " // continues" : ""
      return l + note + "\n" + indent + String(repeating: " ", count: count(0...3)) + op + " " + r
    }
    if chance(0.1) { return "(" + l + " " + op + "\n" + indent + r + ")" }
    return l + " " + op + " " + r
  }

  // MARK: - Declarations

  mutating func type(depth: Int) -> String {
    if depth < 2 && chance(0.12) {
      let fields = (0..<count(1...3)).map { _ in fresh("f") + ": " + type(depth: 2) }
      if chance(0.5) { return "{ " + fields.joined(separator: ", ") + " }" }
      let inner = String(repeating: "  ", count: depth + 2)
      return "{\n" + fields.map { inner + $0 + "\n" }.joined() + String(repeating: "  ", count: depth + 1)
        + "}"
    }
    return pick([
      "string", "int", "uint", "double", "bool", "bytes", "timestamp", "duration", "dyn", "list(string)",
      "map(string, int)", "list(list(double))", "google.protobuf.Timestamp",
    ])
  }

  mutating func schema() -> String {
    var out = "schema event {" + trailing() + "\n"
    for _ in 0..<count(0...6) {
      let optional = chance(0.5)
      var line =
        leading("  ") + "  " + fresh("field") + (optional ? "?" : "") + ":" + space() + type(depth: 0)
      if chance(0.2) { line += " in " + elements(multiline: false, indent: "  ") }
      if optional && chance(0.2) { line += " required_for [\"transaction\", withdrawal]" }
      if optional && chance(0.25) {
        line += " =" + space() + pick(["true", "0.0", "\"none\"", "[]", "1 + 2"])
      }
      out += line + trailing() + "\n"
    }
    return out + leading("  ") + "}" + trailing()
  }

  mutating func elements(multiline: Bool, indent: String) -> String {
    let items = (0..<count(0...5)).map { _ in
      pick(["\"KP\"", "'IR'", "\"a,b\"", "1", "2.5", "[1]", "\"x\" + \"y\""])
    }
    guard multiline, !items.isEmpty else { return "[" + items.joined(separator: ", ") + "]" }
    var out = "[" + trailing() + "\n"
    for (i, item) in items.enumerated() {
      out += leading(indent + "  ") + indent + "  " + item + (i < items.count - 1 || chance(0.5) ? "," : "")
      out += trailing() + "\n"
    }
    return out + leading(indent + "  ") + indent + "]"
  }

  mutating func list() -> String {
    let name = fresh("l")
    if chance(0.3) {
      var out =
        "list \(name)" + (chance(0.5) ? ": string" : "") + " from " + pick(["\"lists/a.txt\"", "'../b.csv'"])
      if chance(0.5) { out += " format " + pick(["sdn", "csv(2)", "csv(\"name\", 3)", "lines"]) }
      return out + trailing()
    }
    return "list \(name)" + (chance(0.3) ? ": " + type(depth: 2) : "") + " = "
      + elements(multiline: chance(0.4), indent: "") + trailing()
  }

  mutating func rule() -> String {
    var fields: [String] = [
      "when:" + space() + cel(multiline: true, indent: "    ")
    ]
    if chance(0.7) {
      fields.append(
        "name: " + pick(["\"Sanctioned Region\"", "'single'", "\"esc \\\" \\\\ \\n\"", "r\"raw\\n\""]))
    }
    if chance(0.6) { fields.append("category: " + pick(["fraud", "compliance", "login_security"])) }
    if chance(0.5) {
      fields.append(
        "tags: [" + ["ofac", "\"geo-ip\"", "velocity"].prefix(count(0...3)).joined(separator: ", ") + "]")
    }
    if chance(0.5) { fields.append("enabled: " + pick(["true", "false"])) }
    if chance(0.7) { fields.append("action: " + pick(["block", "review", "challenge", "score"])) }
    if chance(0.7) { fields.append("score: " + pick(["100", "-5", "0", "+7"])) }
    if chance(0.5) { fields.append("reason: " + pick(["\"Access from a sanctioned region\"", "'why'"])) }
    fields.shuffle(using: &rng)
    let id = fresh("r")
    if chance(0.15) {
      // One line: fields separated by commas; CEL ends at the comma.
      let simple = fields.map {
        $0.replacingOccurrences(of: " // continues", with: "").replacingOccurrences(of: "\n", with: " ")
      }
      return "rule \(id) { " + simple.joined(separator: ", ") + " }"
    }
    var out = "rule \(id) {" + trailing() + "\n"
    for f in fields { out += leading("  ") + "  " + f + trailing() + "\n" }
    return out + leading("  ") + "}" + trailing()
  }

  /// An aggregate with a random subset of its fields (any kind with any fields: whether they
  /// fit together is the compiler's concern), in random order and layout.
  mutating func aggregate() -> String {
    var fields: [String] = []
    if chance(0.9) { fields.append("kind: " + pick(["count", "sum", "distinct", "last", "stats", "seen"])) }
    if chance(0.8) {
      fields.append("key:" + space() + pick(["event.user_id", "event.ip", "[event.user_id, event.ip]"]))
    }
    if chance(0.6) {
      fields.append("of:" + space() + pick(["event.amount", "event.geo", "event.device_id"]))
    }
    if chance(0.7) { fields.append("where:" + space() + cel(multiline: true, indent: "    ")) }
    if chance(0.7) {
      fields.append(
        "window: "
          + pick([
            "60s", "10m", "24h", "1h30m", "500ms", "1.5h", "7d", "\"60s\"", "'2h'", "90m", "1d12h",
            "unbounded",
            "0.25s", "3600s",
          ]))
    }
    if chance(0.4) { fields.append("include_current: " + pick(["true", "false"])) }
    fields.shuffle(using: &rng)
    let name = fresh("a")
    if chance(0.15) {
      let simple = fields.map {
        $0.replacingOccurrences(of: " // continues", with: "").replacingOccurrences(of: "\n", with: " ")
      }
      return "aggregate \(name) { " + simple.joined(separator: ", ") + " }"
    }
    var out = "aggregate \(name) {" + trailing() + "\n"
    for f in fields { out += leading("  ") + "  " + f + trailing() + "\n" }
    return out + leading("  ") + "}" + trailing()
  }

  mutating func policy() -> String {
    var fields: [String] = []
    if chance(0.8) { fields.append("review_threshold: " + pick(["70", "0", "25"])) }
    if chance(0.6) { fields.append("block_threshold: " + pick(["150", "100"])) }
    if chance(0.3) { return "policy { " + fields.joined(separator: ", ") + " }" }
    return "policy {" + trailing() + "\n"
      + fields.map { leading("  ") + "  " + $0 + trailing() + "\n" }.joined() + "}"
  }
}
