// The seed SentinelIQ format: category sections, field-operator conditions, and the CEL each
// operator translates to.

import SentinelModel
import SentinelSyntax
import SentinelYAML
import Testing

@Suite struct YAMLSeedTests {
  @Test func seedExampleParsesToTheExpectedAST() throws {
    let source = try yamlFixture("seed.yaml")
    let (file, diagnostics) = YAMLRuleParser.parse(source)
    #expect(diagnostics.isEmpty, "\(diagnostics)")
    let parsed = ParsedYAML(source: source, file: file, diagnostics: diagnostics)
    #expect(parsed.rules.count == 1)
    let rule = try #require(parsed.rule("sanctioned_region"))
    #expect(rule.id.value == "sanctioned_region")
    #expect(parsed.text(rule.id.span) == "\"sanctioned_region\"")
    #expect(rule.name?.value == "Sanctioned Region Access")
    #expect(rule.category?.value == "hard")
    #expect(parsed.text(try #require(rule.category).span) == "hard_rules")
    #expect(rule.action?.value == .block)
    #expect(parsed.text(try #require(rule.action).span) == "\"block\"")
    #expect(rule.score == nil)
    #expect(rule.tags.isEmpty)
    let when = try #require(rule.when)
    // The seed's rule: a condition on an absent (optional) field is false, so the field's
    // presence is tested first.
    #expect(when.text == #"has(event.country_code) && event.country_code in ["KP", "IR", "SY", "CU"]"#)
    #expect(
      when.ast.debugString
        == #"(has(event.country_code) && (event.country_code in ["KP", "IR", "SY", "CU"]))"#)
    #expect(when.ast.source.name == source.name)
    #expect(parsed.text(when.span).hasPrefix("country_code:"))
    // Every node's span points at the YAML that produced it.
    guard case .call(_, _, let terms) = when.ast.root.kind, terms.count == 2,
      case .call(_, _, let args) = terms[1].kind, args.count == 2
    else {
      Issue.record("not a guarded call: \(when.ast.debugString)")
      return
    }
    #expect(parsed.text(when.ast.span(of: terms[0].id)) == "country_code")
    #expect(parsed.text(when.ast.span(of: args[0].id)) == "country_code")
    #expect(parsed.text(when.ast.span(of: args[1].id)) == #"["KP", "IR", "SY", "CU"]"#)
    guard case .list(let elements, _) = args[1].kind else {
      Issue.record("not a list")
      return
    }
    #expect(
      elements.map { parsed.text(when.ast.span(of: $0.id)) } == [#""KP""#, #""IR""#, #""SY""#, #""CU""#])
  }

  /// Each operator: the YAML, the CEL text the operator translates to (behind the field's
  /// presence test, `has(event.field) && `, except for `exists`), and the whole condition's
  /// parsed form.
  static let operatorCases: [(yaml: String, cel: String, ast: String)] = [
    (
      #"country_code: {in: ["KP", "IR"]}"#, #"event.country_code in ["KP", "IR"]"#,
      #"(has(event.country_code) && (event.country_code in ["KP", "IR"]))"#
    ),
    (
      #"country_code: {not_in: [KP]}"#, #"!(event.country_code in ["KP"])"#,
      #"(has(event.country_code) && !(event.country_code in ["KP"]))"#
    ),
    (
      "country_code: {in: sanctioned}", "event.country_code in sanctioned",
      "(has(event.country_code) && (event.country_code in sanctioned))"
    ),
    ("type: {eq: login}", #"event.type == "login""#, #"(has(event.type) && (event.type == "login"))"#),
    ("type: {ne: 'login'}", #"event.type != "login""#, #"(has(event.type) && (event.type != "login"))"#),
    ("amount: {gt: 1000}", "event.amount > 1000", "(has(event.amount) && (event.amount > 1000))"),
    ("amount: {gte: 1000.5}", "event.amount >= 1000.5", "(has(event.amount) && (event.amount >= 1000.5))"),
    ("amount: {lt: 1e3}", "event.amount < 1000.0", "(has(event.amount) && (event.amount < 1000.0))"),
    ("amount: {lte: -5}", "event.amount <= -5", "(has(event.amount) && (event.amount <= -5))"),
    (
      "amount: {between: [1000, 5000.0]}", "event.amount >= 1000 && event.amount <= 5000.0",
      "((has(event.amount) && (event.amount >= 1000)) && (event.amount <= 5000.0))"
    ),
    (
      #"email: {matches: '^[a-z]+@example\.com$'}"#, #"event.email.matches("^[a-z]+@example\\.com$")"#,
      #"(has(event.email) && event.email.matches("^[a-z]+@example\\.com$"))"#
    ),
    ("device_id: {exists: true}", "has(event.device_id)", "has(event.device_id)"),
    ("device_id: {exists: false}", "!has(event.device_id)", "!has(event.device_id)"),
    ("success: {eq: false}", "event.success == false", "(has(event.success) && (event.success == false))"),
    ("currency: {eq: null}", "event.currency == null", "(has(event.currency) && (event.currency == null))"),
    ("amount: {gt: 0x1F}", "event.amount > 31", "(has(event.amount) && (event.amount > 31))"),
  ]

  @Test(arguments: operatorCases.indices)
  func operatorTranslation(_ i: Int) {
    let c = Self.operatorCases[i]
    let field = c.yaml.prefix { $0 != ":" }
    let text = c.yaml.contains("exists") ? c.cel : "has(event.\(field)) && \(c.cel)"
    let (cel, diagnostics) = YAMLRuleParser.conditionsCEL(c.yaml)
    #expect(diagnostics.isEmpty, "\(diagnostics)")
    #expect(cel == text)
    let parsed = parseYAML("rules:\n  - id: r\n    conditions: {\(c.yaml)}\n    action: block\n")
    #expect(parsed.errors.isEmpty, "\(parsed.rendered)")
    #expect(parsed.rule("r")?.when?.ast.debugString == c.ast)
    #expect(parsed.rule("r")?.when?.text == text)
  }

  @Test func fieldsAndOperatorsAreANDedInOrder() {
    let yaml = """
      type: {eq: transaction}
      amount: {gte: 100.0, lt: 200.0}
      geo.lat: {gt: 0.0}
      """
    let (cel, diagnostics) = YAMLRuleParser.conditionsCEL(yaml)
    #expect(diagnostics.isEmpty)
    #expect(
      cel
        == #"has(event.type) && event.type == "transaction" && has(event.amount) && event.amount >= 100.0 && event.amount < 200.0 && has(event.geo) && has(event.geo.lat) && event.geo.lat > 0.0"#
    )
  }

  @Test func shorthandsAndFieldPaths() {
    #expect(
      YAMLRuleParser.conditionsCEL("country_code: [KP, IR]").0
        == #"has(event.country_code) && event.country_code in ["KP", "IR"]"#)
    #expect(YAMLRuleParser.conditionsCEL("type: login").0 == #"has(event.type) && event.type == "login""#)
    #expect(
      YAMLRuleParser.conditionsCEL("headers.user-agent: {eq: curl}").0
        == #"has(event.headers) && has(event.headers.`user-agent`) && event.headers.`user-agent` == "curl""#)
    #expect(YAMLRuleParser.conditionsCEL("in: {eq: 1}").0 == "has(event.`in`) && event.`in` == 1")
    #expect(
      YAMLRuleParser.conditionsCEL("amount: {gt: 5}", variable: "txn").0
        == "has(txn.amount) && txn.amount > 5")
    // A field with `exists` is left as written: the author's guard (or its negation) is the test.
    #expect(
      YAMLRuleParser.conditionsCEL("ip: {exists: true, eq: '1.2.3.4'}").0
        == #"has(event.ip) && event.ip == "1.2.3.4""#)
    #expect(YAMLRuleParser.conditionsCEL("{}").0 == "")
  }

  @Test func literalsAreTypedByYAML12AndEscapedForCEL() {
    let cases: [(String, String)] = [
      ("a: {eq: NO}", #"event.a == "NO""#),  // YAML 1.2: `NO` is a string, not false (the Norway problem)
      ("a: {eq: yes}", #"event.a == "yes""#),
      ("a: {eq: '42'}", #"event.a == "42""#),
      ("a: {eq: 0o17}", "event.a == 15"),
      ("a: {eq: .inf}", #"event.a == double("Infinity")"#),
      ("a: {eq: -.inf}", #"event.a == double("-Infinity")"#),
      ("a: {eq: .nan}", #"event.a == double("NaN")"#),
      ("a: {eq: 2.0}", "event.a == 2.0"),
      ("a: {eq: !!str 12}", #"event.a == "12""#),
      ("a: {eq: !!float 12}", "event.a == 12.0"),
      ("a: {eq: \"tab\\there \\\"q\\\" back\\\\slash\"}", #"event.a == "tab\there \"q\" back\\slash""#),
      ("a: {eq: \"nl\\nbell\\a\"}", #"event.a == "nl\nbell\u0007""#),
      ("a: {eq: 'é ü 😀'}", #"event.a == "é ü 😀""#),
      ("a: {eq: [1, two]}", #"event.a == [1, "two"]"#),
      ("a: {eq: {k: 1}}", #"event.a == {"k": 1}"#),
    ]
    for (yaml, expected) in cases {
      let (cel, diagnostics) = YAMLRuleParser.conditionsCEL(yaml)
      #expect(cel == "has(event.a) && " + expected, "\(yaml)")
      #expect(diagnostics.isEmpty, "\(yaml): \(diagnostics)")
    }
    // Every translation is valid CEL, escapes included.
    let parsed = parseYAML(
      "rules:\n  - id: r\n    conditions:\n      a: {eq: \"tab\\there \\\"q\\\" nl\\n\\a é\"}\n    action: block\n"
    )
    #expect(parsed.errors.isEmpty, "\(parsed.rendered)")
    #expect(parsed.rule("r")?.when != nil)
  }

  @Test func sectionsGiveCategories() throws {
    let yaml = """
      rules:
        hard_rules:
          - {id: a, when: 'true', action: block}
        velocity_rules:
          - {id: b, when: 'true', action: review}
        behavioral_rules:
          - {id: c, when: 'true', action: score, score: 5}
        compliance_rules:
          - {id: d, when: 'true', action: block, category: sanctions}
        custom:
          - {id: e, when: 'true', action: challenge}
        empty_rules:
      """
    let parsed = parseYAML(yaml)
    #expect(parsed.diagnostics.isEmpty, "\(parsed.rendered)")
    #expect(
      parsed.rules.map { $0.category?.value ?? "-" } == [
        "hard", "velocity", "behavioral", "sanctions", "custom",
      ])
    #expect(parsed.rules.map { $0.action?.value } == [.block, .review, .score, .block, .challenge])
    #expect(YAMLRuleParser.category(forSection: "hard_rules") == "hard")
    #expect(YAMLRuleParser.category(forSection: "_rules") == "_rules")
    #expect(YAMLRuleParser.category(forSection: "fraud") == "fraud")
  }

  @Test func seedRuleKeys() throws {
    let yaml = """
      rules:
        fraud_rules:
          - id: big_amount
            name: Big amount
            description: Amounts over 10k
            enabled: false
            tags: [amount, "big"]
            conditions:
              amount: {gt: 10000.0}
            action: review
            score: 50
      """
    let parsed = parseYAML(yaml)
    #expect(parsed.diagnostics.isEmpty, "\(parsed.rendered)")
    let rule = try #require(parsed.rule("big_amount"))
    #expect(rule.reason?.value == "Amounts over 10k")  // `description` stands in for `reason`
    #expect(rule.enabled?.value == false)
    #expect(rule.tags.map(\.value) == ["amount", "big"])
    #expect(rule.score?.value == 50)
    #expect(rule.when?.ast.debugString == "(has(event.amount) && (event.amount > 10000.0))")
  }

  @Test func whenAndConditionsAreANDed() throws {
    let yaml = """
      rules:
        - id: r
          conditions:
            type: {eq: transaction}
          when: event.card_country != event.country_code || false
          action: block
      """
    let parsed = parseYAML(yaml)
    #expect(parsed.diagnostics.isEmpty, "\(parsed.rendered)")
    let when = try #require(parsed.rule("r")?.when)
    #expect(
      when.ast.debugString
        == #"((has(event.type) && (event.type == "transaction")) && ((event.card_country != event.country_code) || false))"#
    )
    #expect(parsed.text(when.span).hasPrefix("type: {eq: transaction}"))
    #expect(parsed.text(when.span).hasSuffix("|| false"))
  }
}
