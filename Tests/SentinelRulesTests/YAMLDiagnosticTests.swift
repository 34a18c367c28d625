// Every diagnostic of the YAML front end: its code, where it points, its help; and that one run
// reports every error.

import SentinelModel
import SentinelSyntax
import SentinelYAML
import Testing

@Suite struct YAMLDiagnosticTests {
  /// A case: the YAML, the code expected, the text the diagnostic points at, and a fragment of
  /// its help (or nil when there is none to check).
  struct Case: Sendable, CustomTestStringConvertible {
    var yaml: String
    var code: String
    var at: String
    var help: String?
    var testDescription: String { "\(code) \(yaml.prefix(40).debugDescription)" }
  }

  static let rule = "rules:\n  - id: r\n    action: block\n"

  static let cases: [Case] = [
    // E0301: invalid YAML.
    Case(yaml: "rules:\n  - id: r\n\twhen: x\n", code: "E0301", at: "\t", help: "tabs"),
    Case(yaml: "rules:\n  - id: 'r\n", code: "E0301", at: "", help: nil),
    Case(yaml: "a: *missing\n", code: "E0301", at: "*", help: "anchor"),
    Case(yaml: "rules: []\n---\nrules: []\n", code: "E0301", at: "-", help: "one YAML document"),
    Case(yaml: "rules:\n  - id: r\n    when: a: b\n", code: "E0301", at: ":", help: "quoted"),
    Case(yaml: rule + "    when: !event.success && x\n", code: "E0301", at: "&", help: "quote"),
    // E0302: a repeated key.
    Case(yaml: rule + "    action: review\n", code: "E0302", at: "action", help: "line 3"),
    Case(yaml: "schema:\n  ip: string\n  ip?: string\n", code: "E0302", at: "ip?", help: "line 2"),
    // E0303: the wrong kind of node.
    Case(yaml: "- a\n- b\n", code: "E0303", at: "- a\n- b", help: "`rules:`"),
    Case(yaml: "rules: 5\n", code: "E0303", at: "5", help: nil),
    Case(yaml: "rules:\n  - just a string\n", code: "E0303", at: "just a string", help: "`id:`"),
    Case(yaml: "rules:\n  id: r\n  when: x\n", code: "E0303", at: "r", help: "sections"),
    Case(yaml: rule + "    when: r\n    tags: ofac\n", code: "E0303", at: "ofac", help: nil),
    Case(yaml: rule + "    when: [a, b]\n", code: "E0303", at: "[a, b]", help: "quoted"),
    Case(yaml: "rules:\n  - id: r\n    when: x\n    conditions: [a]\n", code: "E0303", at: "[a]", help: nil),
    Case(yaml: "lists:\n  l: just text\n", code: "E0303", at: "just text", help: "l: [a, b]"),
    // E0304: unknown keys.
    Case(yaml: rule + "    when: x\n    actoin: block\n", code: "E0304", at: "actoin", help: "`action`"),
    Case(yaml: "rule:\n  - id: r\n", code: "E0304", at: "rule", help: "`rules`"),
    Case(
      yaml: "schema:\n  a: {type: int, optinal: true}\n", code: "E0304", at: "optinal", help: "`optional`"),
    Case(yaml: "lists:\n  l: {vals: [1]}\n", code: "E0304", at: "vals", help: "values"),
    Case(yaml: "policy: {review: 5}\n", code: "E0304", at: "review", help: "review_threshold"),
    // E0305: missing keys.
    Case(yaml: "rules:\n  - name: No id\n    when: x\n", code: "E0305", at: "name: No id", help: "id:"),
    Case(yaml: rule, code: "E0305", at: "r", help: "when:"),
    Case(yaml: "schema:\n  a: {optional: true}\n", code: "E0305", at: "a", help: "type:"),
    Case(yaml: "lists:\n  l: {type: string}\n", code: "E0305", at: "l", help: "values:"),
    Case(yaml: rule + "    conditions:\n      amount: {}\n", code: "E0305", at: "{}", help: "eq:"),
    Case(yaml: rule + "    conditions:\n      amount:\n", code: "E0305", at: "amount", help: nil),
    Case(yaml: "conditions:\n  c: {}\n", code: "E0305", at: "{}", help: nil),
    // E0306: invalid scalars.
    Case(yaml: rule + "    when: x\n    enabled: yes\n", code: "E0306", at: "yes", help: "YAML 1.2"),
    Case(yaml: rule + "    when: x\n    score: 1.0\n", code: "E0306", at: "1.0", help: "`1`"),
    Case(yaml: rule + "    when: x\n    score: high\n", code: "E0306", at: "high", help: nil),
    Case(
      yaml: rule + "    when: x\n    score: 99999999999999999999\n", code: "E0306",
      at: "99999999999999999999", help: nil),
    Case(yaml: rule + "    when: x\n    name:\n", code: "E0306", at: "", help: nil),
    Case(yaml: rule + "    when: !event.success\n", code: "E0306", at: "!event.success", help: "quote"),
    Case(yaml: rule + "    when: ''\n", code: "E0306", at: "''", help: "CEL"),
    Case(yaml: rule + "    conditions: {a: {eq: }}\n", code: "E0306", at: "eq", help: nil),
    Case(yaml: rule + "    conditions: {a: {eq: !!int x}}\n", code: "E0306", at: "!!int x", help: nil),
    // E0307: unknown actions.
    Case(
      yaml: "rules:\n  - id: r\n    when: x\n    action: allow\n", code: "E0307", at: "allow",
      help: "action: score"),
    Case(
      yaml: "rules:\n  - id: r\n    when: x\n    action: blok\n", code: "E0307", at: "blok", help: "`block`"),
    Case(
      yaml: "rules:\n  - id: r\n    when: x\n    action: flag\n", code: "E0307", at: "flag", help: "`review`"),
    // E0308: unknown operators.
    Case(yaml: rule + "    conditions: {amount: {gteq: 5}}\n", code: "E0308", at: "gteq", help: "`gte`"),
    Case(yaml: rule + "    conditions: {amount: {approx: 5}}\n", code: "E0308", at: "approx", help: "when:"),
    // E0309: invalid operands.
    Case(
      yaml: rule + "    conditions: {amount: {between: [1]}}\n", code: "E0309", at: "[1]", help: "[low, high]"
    ),
    Case(yaml: rule + "    conditions: {amount: {between: 5}}\n", code: "E0309", at: "5", help: nil),
    Case(yaml: rule + "    conditions: {c: {in: \"KP\"}}\n", code: "E0309", at: "\"KP\"", help: "eq:"),
    Case(yaml: rule + "    conditions: {c: {exists: maybe}}\n", code: "E0309", at: "maybe", help: "absent"),
    Case(yaml: rule + "    conditions: {c: {matches: [a]}}\n", code: "E0309", at: "[a]", help: "pattern"),
    // E0310: invalid names.
    Case(yaml: "lists:\n  bad-name: [1]\n", code: "E0310", at: "bad-name", help: "letter"),
    Case(yaml: "conditions:\n  in: 'true'\n", code: "E0310", at: "in", help: "reserved"),
    Case(yaml: rule + "    conditions: {a..b: {eq: 1}}\n", code: "E0310", at: "a..b", help: "geo.lat"),
    Case(yaml: "rules:\n  - id: two words\n    when: x\n", code: "E0310", at: "two words", help: "one word"),
    Case(yaml: "schema:\n  9lives: int\n", code: "E0310", at: "9lives", help: nil),
    // E0311: types.
    Case(yaml: "schema:\n  a: strng\n", code: "E0311", at: "strng", help: "`string`"),
    Case(yaml: "schema:\n  a: list(int, int)\n", code: "E0311", at: "list(int, int)", help: "list(string)"),
    Case(yaml: "schema:\n  a: list(int\n", code: "E0311", at: "list(int", help: nil),
    Case(yaml: "lists:\n  l: {type: strin, values: []}\n", code: "E0311", at: "strin", help: "`string`"),
    // E0312: conflicting keys.
    Case(yaml: "lists:\n  l: {values: [1], file: a.txt}\n", code: "E0312", at: "values", help: "file"),
    Case(yaml: "lists:\n  l: {values: [1], format: csv}\n", code: "E0312", at: "format", help: nil),
    Case(yaml: "schema:\n  g: {type: int, fields: {a: int}}\n", code: "E0312", at: "fields", help: "line 2"),
    // E0313: limits.
    Case(
      yaml: "a: " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "\n",
      code: "E0313", at: "[", help: nil),
    // Aggregates.
    Case(yaml: "aggregates:\n  a: count\n", code: "E0303", at: "count", help: "kind: count"),
    Case(yaml: "aggregates:\n  a: {kind: count, key: [a]}\n", code: "E0303", at: "[a]", help: "quoted"),
    Case(yaml: "aggregates:\n  a: {kind: count, filter: x}\n", code: "E0304", at: "filter", help: "`where`"),
    Case(yaml: "aggregates:\n  a: {kind: count, windw: 1m}\n", code: "E0304", at: "windw", help: "`window`"),
    Case(yaml: "aggregates:\n  a: {kind: count, where: {}}\n", code: "E0305", at: "{}", help: nil),
    Case(yaml: "aggregates:\n  a: {key: ''}\n", code: "E0306", at: "''", help: "event.user_id"),
    Case(yaml: "aggregates:\n  a: {include_current: yes}\n", code: "E0306", at: "yes", help: "YAML 1.2"),
    Case(yaml: "aggregates:\n  a: {window: }\n", code: "E0306", at: "", help: "60s"),
    Case(yaml: "aggregates:\n  in: {kind: count}\n", code: "E0310", at: "in", help: "reserved"),
    Case(yaml: "aggregates:\n  a: {kind: cont}\n", code: "E0314", at: "cont", help: "`count`"),
    Case(yaml: "aggregates:\n  a: {kind: average}\n", code: "E0314", at: "average", help: "`stats`"),
    Case(yaml: "aggregates:\n  a: {kind: 5}\n", code: "E0314", at: "5", help: "distinct"),
    Case(yaml: "aggregates:\n  a: {window: 60}\n", code: "E0315", at: "60", help: "60s"),
    Case(yaml: "aggregates:\n  a: {window: 5x}\n", code: "E0315", at: "x", help: nil),
    Case(yaml: "aggregates:\n  a: {window: '1h5mins'}\n", code: "E0315", at: "mins", help: "`5m`"),
    Case(yaml: "aggregates:\n  a: {window: \"0s\"}\n", code: "E0315", at: "0s", help: "omit"),
    Case(yaml: "aggregates:\n  a: {window: -5m}\n", code: "E0315", at: "-5m", help: nil),
    Case(yaml: "aggregates:\n  a: {window: 300000d}\n", code: "E0315", at: "300000d", help: "292"),
    Case(yaml: "aggregates:\n  a: {window: forevr}\n", code: "E0315", at: "forevr", help: "unbounded"),
    Case(yaml: "aggregates:\n  a: {window: [1m]}\n", code: "E0303", at: "[1m]", help: nil),
    // W0301–W0303: warnings.
    Case(
      yaml: "schema:\n  a: {type: int, required_for: [login]}\n", code: "W0301", at: "required_for",
      help: "optional"),
    Case(yaml: "schema:\n  a: {type: int, default: 1}\n", code: "W0302", at: "1", help: "optional"),
    Case(yaml: rule + "    when: x\n    tags: [a, b, a]\n", code: "W0303", at: "a", help: nil),
  ]

  @Test(arguments: cases)
  func diagnostic(_ c: Case) {
    let parsed = parseYAML(c.yaml)
    guard let d = parsed.diagnostics.first(where: { $0.code == c.code }) else {
      Issue.record("no \(c.code); got:\n\(parsed.rendered)")
      return
    }
    #expect(parsed.text(d.span) == c.at, "\(d.render(in: parsed.source))")
    if let help = c.help { #expect(d.help?.contains(help) == true, "\(d.render(in: parsed.source))") }
    #expect(d.severity == (c.code.hasPrefix("W") ? .warning : .error))
    // One-line, lowercase-initial messages; every rendering has the file, the line, a caret.
    #expect(!d.message.contains("\n"))
    let rendered = d.render(in: parsed.source)
    #expect(rendered.hasPrefix("rules.yaml:"))
    #expect(rendered.contains("^"))
  }

  @Test func everyCodeHasACase() {
    let tested = Set(Self.cases.map(\.code))
    for code in YAMLCode.all { #expect(tested.contains(code), "\(code) has no test case") }
  }

  @Test func everyErrorOfARunIsReported() throws {
    let yaml = """
      lists:
        bad-name: [1]
      rules:
        - id: good
          when: event.amount > 10.0
          action: review
        - id: one
          when: event.amount > > 1
          action: blok
        - id: two
          conditions:
            amount: {between: [1]}
            country: {inn: [KP]}
          actoin: block
        - name: no id
          when: 'true'
          action: review
          action: block
      policy:
        review_threshold: high
      """
    let parsed = parseYAML(yaml)
    #expect(
      parsed.codes == ["E0310", "E0001", "E0307", "E0309", "E0308", "E0304", "E0305", "E0302", "E0306"],
      "\(parsed.rendered)")
    // What parsed is kept, as the DSL parser does: rules without their faulty keys.
    #expect(parsed.rules.map(\.id.value) == ["good", "one", "two"])
    #expect(parsed.rule("good")?.when != nil)
    #expect(parsed.rule("one")?.when == nil && parsed.rule("one")?.action == nil)
    #expect(parsed.rule("two")?.when == nil && parsed.rule("two")?.action == nil)
  }

  @Test func duplicateKeysDoNotHideOtherErrors() {
    let yaml = """
      rules:
        - id: a
          when: x
          when: y
          when: z
          action: blok
        - id: b
          id: c
          when: 'true'
      """
    let parsed = parseYAML(yaml)
    #expect(parsed.codes == ["E0302", "E0302", "E0307", "E0302"], "\(parsed.rendered)")
    #expect(parsed.diagnostics.map { parsed.text($0.span) } == ["when", "when", "blok", "id"])
  }

  @Test func oneMistakeOneDiagnostic() {
    let parsed = parseYAML("rules:\n  - id: r\n    when: !event.success\n    action: block\n")
    #expect(parsed.codes == ["E0306"], "\(parsed.rendered)")
    let second = parseYAML("rules: []\n---\nrules: []\n")
    #expect(
      second.diagnostics.first?.message
        == "invalid YAML: expected a single document in the stream but found another document")
  }

  @Test func aliasExpansionIsBounded() {
    var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in 1...9 {
      yaml += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
    }
    let parsed = parseYAML(yaml)
    #expect(parsed.codes.first == "E0313", "\(parsed.rendered)")
    #expect(parsed.file == nil)
  }

  @Test func renderedFormat() throws {
    let parsed = parseYAML("rules:\n  - id: r\n    when: x\n    actoin: block\n")
    let d = try #require(parsed.diagnostics.first)
    #expect(
      d.render(in: parsed.source) == """
        rules.yaml:4:5: error[E0304]: unknown key `actoin` in a rule
          |
        4 |     actoin: block
          |     ^^^^^^
          = help: did you mean `action`?

        """)
  }
}
