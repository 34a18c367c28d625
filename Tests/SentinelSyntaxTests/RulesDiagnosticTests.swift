// The rule DSL's diagnostics: every code with its position and text, helps, rendering, and
// recovery (several errors reported in one run).

import SentinelModel
import SentinelSyntax
import Testing

/// A file with one diagnostic: its code, where it points (`line:col`) and the text under it.
struct RuleErrorCase: CustomTestStringConvertible, Sendable {
  let source: String
  let code: String
  let position: String
  let text: String
  var testDescription: String { "\(code): \(source.debugDescription)" }
  init(_ code: String, _ position: String, _ text: String, _ source: String) {
    self.source = source
    self.code = code
    self.position = position
    self.text = text
  }
}

let ruleErrorCases: [RuleErrorCase] = [
  .init(RuleSyntaxCode.unexpectedCharacter, "3:12", "#", "rule r {\n  when: true\n  score: 5 #\n}"),
  .init(RuleSyntaxCode.unexpectedCharacter, "1:1", "@", "@rule"),
  .init(
    RuleSyntaxCode.unterminatedString, "2:9", "\"Sanctioned",
    "rule r {\n  name: \"Sanctioned\n  when: true\n}"),
  .init(RuleSyntaxCode.unknownDeclaration, "1:1", "rul", "rul r {\n  when: true\n}"),
  .init(RuleSyntaxCode.unknownDeclaration, "1:1", "lists", "lists a = [1]"),
  .init(RuleSyntaxCode.unexpectedToken, "1:6", "{", "rule { when: true }"),
  .init(RuleSyntaxCode.unexpectedToken, "1:8", "=", "rule r = { when: true }"),
  .init(RuleSyntaxCode.unexpectedToken, "1:1", "}", "}"),
  .init(RuleSyntaxCode.unexpectedToken, "2:20", "50", "policy {\n  review_threshold 50\n}"),
  .init(
    RuleSyntaxCode.unexpectedToken, "2:19", "requird_for",
    "schema event {\n  amount?: double requird_for [\"x\"]\n}"),
  .init(
    RuleSyntaxCode.unexpectedToken, "2:17", "reason",
    "rule r {\n  action: block reason: \"x\"\n  when: true\n}"),
  .init(RuleSyntaxCode.unterminatedBlock, "1:8", "{", "rule r {\n  when: true\n  action: block\n"),
  .init(RuleSyntaxCode.unterminatedBlock, "1:8", "{", "rule r {\n  when: true\nrule s {\n  when: false\n}"),
  .init(RuleSyntaxCode.unterminatedBlock, "1:10", "[", "list l = [\"a\", \"b\"\nrule s {\n  when: false\n}"),
  .init(RuleSyntaxCode.unknownField, "3:3", "scroe", "rule r {\n  when: true\n  scroe: 5\n}"),
  .init(RuleSyntaxCode.unknownField, "2:3", "threshold", "policy {\n  threshold: 5\n}"),
  .init(RuleSyntaxCode.duplicateField, "4:3", "score", "rule r {\n  when: true\n  score: 1\n  score: 2\n}"),
  .init(RuleSyntaxCode.duplicateField, "3:3", "ts", "schema event {\n  ts: timestamp\n  ts: int\n}"),
  .init(RuleSyntaxCode.duplicateField, "2:23", "in", "schema event {\n  a?: string in [\"x\"] in [\"y\"]\n}"),
  .init(RuleSyntaxCode.unknownAction, "3:11", "blok", "rule r {\n  when: true\n  action: blok\n}"),
  .init(RuleSyntaxCode.unknownAction, "1:30", "allow", "rule r { when: true, action: allow }"),
  .init(RuleSyntaxCode.invalidInteger, "3:10", "1.5", "rule r {\n  when: true\n  score: 1.5\n}"),
  .init(RuleSyntaxCode.invalidInteger, "3:10", "high", "rule r {\n  when: true\n  score: high\n}"),
  .init(
    RuleSyntaxCode.invalidInteger, "1:28", "99999999999999999999",
    "policy { review_threshold: 99999999999999999999 }"),
  .init(RuleSyntaxCode.missingWhen, "1:6", "r", "rule r {\n  action: block\n}"),
  .init(RuleSyntaxCode.missingListContents, "1:6", "l", "list l\nrule r { when: true }"),
  .init(RuleSyntaxCode.invalidType, "2:9", "strng", "schema event {\n  kind: strng\n}"),
  .init(RuleSyntaxCode.invalidType, "2:9", "list(int, int)", "schema event {\n  kind: list(int, int)\n}"),
  .init(RuleSyntaxCode.invalidType, "1:9", "{ a: int }", "list l: { a: int } = []"),
  .init(RuleSyntaxCode.missingExpression, "2:3", "when", "rule r {\n  when:\n  action: block\n}"),
  .init(RuleSyntaxCode.missingExpression, "1:14", ",", "list l = [1, , 2]"),
  .init(RuleSyntaxCode.missingExpression, "1:13", "=", "condition c =\nrule r { when: c }"),
  // Aggregates.
  .init(RuleSyntaxCode.unexpectedToken, "1:11", "{", "aggregate { kind: count }"),
  .init(RuleSyntaxCode.unexpectedToken, "1:13", "=", "aggregate a = { kind: count }"),
  .init(RuleSyntaxCode.unterminatedBlock, "1:13", "{", "aggregate a {\n  kind: count\nrule r { when: true }"),
  .init(RuleSyntaxCode.unknownField, "2:3", "filter", "aggregate a {\n  filter: true\n}"),
  .init(RuleSyntaxCode.unknownField, "2:3", "count", "aggregate logins {\n  count: 5\n}"),
  .init(RuleSyntaxCode.duplicateField, "3:3", "kind", "aggregate a {\n  kind: count\n  kind: sum\n}"),
  .init(
    RuleSyntaxCode.duplicateField, "3:3", "window", "aggregate a {\n  window: 1m\n  window: \"2m\"\n}"),
  .init(RuleSyntaxCode.missingExpression, "2:3", "key", "aggregate a {\n  key:\n  kind: count\n}"),
  .init(RuleSyntaxCode.missingExpression, "1:15", "of", "aggregate a { of: , kind: sum }"),
  .init(RuleSyntaxCode.missingExpression, "2:3", "where", "aggregate a {\n  where:\n}"),
  .init(RuleSyntaxCode.invalidValue, "2:20", "yes", "aggregate a {\n  include_current: yes\n}"),
  .init(RuleSyntaxCode.invalidValue, "2:9", "5", "aggregate a {\n  kind: 5\n}"),
  .init(RuleSyntaxCode.invalidValue, "2:11", "{", "aggregate a {\n  window: { x }\n}"),
  .init(RuleSyntaxCode.invalidValue, "2:10", "", "aggregate a {\n  window:\n  kind: count\n}"),
  .init(RuleSyntaxCode.unknownAggregateKind, "2:9", "cnt", "aggregate a {\n  kind: cnt\n}"),
  .init(RuleSyntaxCode.unknownAggregateKind, "1:21", "avg", "aggregate a { kind: avg, of: event.amount }"),
  .init(RuleSyntaxCode.invalidWindow, "2:11", "60", "aggregate a {\n  window: 60\n}"),
  .init(RuleSyntaxCode.invalidWindow, "2:12", "x", "aggregate a {\n  window: 5x\n}"),
  .init(RuleSyntaxCode.invalidWindow, "2:14", "min", "aggregate a {\n  window: 1h5min\n}"),
  .init(RuleSyntaxCode.invalidWindow, "2:11", "0s", "aggregate a {\n  window: 0s\n}"),
  .init(RuleSyntaxCode.invalidWindow, "2:11", "-5m", "aggregate a {\n  window: -5m\n}"),
  .init(RuleSyntaxCode.invalidWindow, "2:12", ".", "aggregate a {\n  window: 1.h\n}"),
  .init(RuleSyntaxCode.invalidWindow, "2:11", "0.5ns", "aggregate a {\n  window: 0.5ns\n}"),
  .init(RuleSyntaxCode.invalidWindow, "2:11", "300000d", "aggregate a {\n  window: 300000d\n}"),
  .init(RuleSyntaxCode.invalidWindow, "2:11", "\"1h1\"", "aggregate a {\n  window: \"1h1\"\n}"),
  .init(RuleSyntaxCode.invalidWindow, "2:11", "forever", "aggregate a {\n  window: forever\n}"),
  .init(SyntaxCode.unexpectedToken, "2:20", "", "aggregate a {\n  where: event.a ==\n  kind: count\n}"),
  .init(RuleSyntaxCode.importUnsupported, "1:1", "import", "import \"other.rules\"\nrule r { when: true }"),
  .init(RuleSyntaxCode.invalidValue, "3:12", "yes", "rule r {\n  when: true\n  enabled: yes\n}"),
  .init(RuleSyntaxCode.invalidValue, "2:9", "fraud", "rule r {\n  name: fraud\n  when: true\n}"),
  .init(RuleSyntaxCode.invalidValue, "2:13", "\"fraud\"", "rule r {\n  category: \"fraud\"\n  when: true\n}"),
  .init(RuleSyntaxCode.invalidValue, "2:9", "b\"x\"", "rule r {\n  name: b\"x\"\n  when: true\n}"),
  .init(RuleSyntaxCode.invalidValue, "2:13", "1", "rule r {\n  tags: [a, 1]\n  when: true\n}"),
  .init(
    RuleSyntaxCode.nestingTooDeep, "2:166", "string",
    "schema event {\n  a: " + String(repeating: "list(", count: 32) + "string"
      + String(repeating: ")", count: 32) + "\n}"),
  .init(
    RuleSyntaxCode.requiredForOnRequired, "2:18", "required_for",
    "schema event {\n  amount: double required_for [\"t\"]\n}"),
  .init(RuleSyntaxCode.defaultOnRequired, "2:17", "=", "schema event {\n  success: bool = true\n}"),
  .init(RuleSyntaxCode.duplicateEntry, "2:13", "a", "rule r {\n  tags: [a, a]\n  when: true\n}"),
  // Errors inside CEL text and string literals keep CEL's codes, at file positions.
  .init(SyntaxCode.unexpectedToken, "2:19", "", "rule r {\n  when: event.a ==\n  action: block\n}"),
  .init(SyntaxCode.invalidEscape, "2:11", "\\q", "rule r {\n  name: \"a\\q\"\n  when: true\n}"),
]

@Suite("Rules diagnostics")
struct RulesDiagnosticTests {
  @Test(arguments: ruleErrorCases) func diagnosticCase(_ c: RuleErrorCase) throws {
    let source = Source(name: "case.rules", text: c.source)
    let (_, diagnostics) = RuleParser.parse(source)
    let d = try #require(diagnostics.first, "no diagnostic")
    #expect(d.code == c.code, "\(diagnostics.map(\.description))")
    let (line, column) = source.location(of: d.span.start)
    #expect("\(line):\(column)" == c.position, "\(d)")
    #expect(slice(source, d.span) == c.text, "\(d)")
    let rendered = d.render(in: source)
    #expect(rendered.hasPrefix("case.rules:\(c.position): \(d.severity.rawValue)[\(c.code)]: "))
    #expect(!d.message.isEmpty && !d.message.contains("\n"))
    #expect(d.message.first?.isLowercase ?? false || d.message.first == "`", "\(d.message)")
  }

  @Test func everyCodeHasACase() {
    let tested = Set(ruleErrorCases.map(\.code))
    for code in RuleSyntaxCode.all where !tested.contains(code) {
      Issue.record("no test for \(code)")
    }
    #expect(Set(RuleSyntaxCode.all).count == RuleSyntaxCode.all.count)
  }

  @Test func warningsAreWarnings() {
    let (file, diagnostics) = parseRules("schema event {\n  success: bool = true\n}")
    #expect(file != nil)
    #expect(diagnostics.map(\.severity) == [.warning])
    #expect(!diagnostics.hasErrors)
  }

  @Test func helps() {
    func help(_ text: String) -> String? { parseRules(text).1.first?.help }
    #expect(help("rule r {\n  when: true\n  scroe: 5\n}") == "did you mean `score`?")
    #expect(help("rule r {\n  when: true\n  action: blok\n}") == "did you mean `block`?")
    #expect(help("rul r {}") == "did you mean `rule`?")
    #expect(help("schema event {\n  kind: strng\n}") == "did you mean `string`?")
    #expect(help("policy {\n  review_treshold: 5\n}") == "did you mean `review_threshold`?")
    #expect(help("rule r {\n  when: true\n  score: 1\n  score: 2\n}")?.contains("3:3") == true)
    #expect(help("rule r {\n  when: true # x\n}") == nil)
    #expect(help("rule r {\n  enabled: true\n}")?.contains("when:") == true)
    #expect(help("aggregate a {\n  kind: cnt\n}") == "did you mean `count`?")
    #expect(help("aggregate a {\n  kind: average\n}") == "did you mean `stats`?")
    #expect(help("aggregate a {\n  kind: maximum\n}")?.contains("`distinct`") == true)
    #expect(help("aggregate a {\n  filter: true\n}") == "did you mean `where`?")
    #expect(help("aggregate a {\n  wndow: 1m\n}") == "did you mean `window`?")
    #expect(help("aggregate a {\n  window: 60\n}")?.contains("`60s`") == true)
    #expect(help("aggregate a {\n  window: 5mins\n}") == "did you mean `5m`?")
    #expect(help("aggregate a {\n  window: 0s\n}")?.contains("omit") == true)
    #expect(help("aggregate a {\n  window: unbouned\n}") == "did you mean `unbounded`?")
    #expect(help("aggregat a {}") == "did you mean `aggregate`?")
  }

  @Test func renderedDiagnostic() {
    let source = Source(name: "fraud.rules", text: "rule r {\n  when: true\n  scroe: 5\n}\n")
    let rendered = RuleParser.parse(source).1.map { $0.render(in: source) }
    #expect(
      rendered == [
        """
        fraud.rules:3:3: error[E0206]: unknown rule field `scroe`
          |
        3 |   scroe: 5
          |   ^^^^^
          = help: did you mean `score`?

        """
      ])
  }

  @Test func recoveryReportsEveryError() {
    let text = """
      schema event {
        kind: strng
        ok: string
      }
      rul broken {}
      list l = [1, , 2]
      condition c = event.amount >
      rule r1 {
        name: "x"
        scroe: 5
        action: blok
        score: 1.5
        when: event.a > 1 # bad
      }
      aggregate velocity {
        kind: cnt
        window: 1h
        window: 60
      }
      rule r2 {
        action: block
      rule r3 {
        when: true
        enabled: yes
      }
      policy {
        precedence: [block]
      }
      """
    let (file, diagnostics) = parseRules(text)
    #expect(
      diagnostics.map(\.code) == [
        "E0212", "E0203", "E0213", "E0001", "E0206", "E0208", "E0209", "E0002", "E0218", "E0207", "E0219",
        "E0210", "E0205", "E0216", "E0206",
      ])
    // What parsed is still there.
    let names = file?.declarations.map { d -> String in
      switch d {
      case .schema(let s): return "schema " + s.fields.map(\.name.value).joined(separator: ",")
      case .list(let l): return "list " + l.name.value
      case .condition(let c): return "condition " + c.name.value
      case .rule(let r): return "rule " + r.id.value
      case .policy: return "policy"
      case .aggregate(let a): return "aggregate " + a.name.value
      }
    }
    #expect(
      names == ["schema ok", "list l", "rule r1", "aggregate velocity", "rule r2", "rule r3", "policy"])
  }

  @Test func nothingUsableGivesNoFile() {
    let (file, diagnostics) = parseRules("@@@ nonsense")
    #expect(file == nil)
    #expect(diagnostics.hasErrors)
    let (partial, _) = parseRules("@@@\nrule r { when: true }")
    #expect(partial?.declarations.count == 1)
  }
}
