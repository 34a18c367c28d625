// The full format: every construct of the rule language written in YAML.

import SentinelModel
import SentinelSyntax
import SentinelYAML
import Testing

@Suite struct YAMLFormatTests {
  @Test func schemaFields() throws {
    let yaml = """
      schema:
        event_id: string
        ip: string?
        tags?: list(string)
        attrs: {type: 'map(string, int)', optional: true}
        amount: {type: double, optional: true, required_for: [transaction, withdrawal]}
        success: {type: bool, optional: true, default: true}
        type: {type: string, in: [login, transaction]}
        ts: {type: timestamp, description: event time}
        geo: {optional: true, fields: {lat: double, lon: double}}
      """
    let parsed = parseYAML(yaml)
    #expect(parsed.diagnostics.isEmpty, "\(parsed.rendered)")
    guard case .schema(let schema)? = parsed.file?.declarations.first else {
      Issue.record("no schema")
      return
    }
    #expect(schema.name.value == "event")
    #expect(parsed.text(schema.name.span) == "schema")
    #expect(
      schema.fields.map(\.name.value) == [
        "event_id", "ip", "tags", "attrs", "amount", "success", "type", "ts", "geo",
      ])
    #expect(schema.fields.map(\.optional) == [false, true, true, true, true, true, false, false, true])
    let dump = try #require(parsed.file.map(RuleFileDump.dump))
    #expect(
      dump == """
        schema event
          field event_id: string
          field ip?: string
          field tags?: list(string)
          field attrs?: map(string, int)
          field amount?: double required_for=["transaction", "withdrawal"]
          field success?: bool default=true
          field type: string in=["login", "transaction"]
          field ts: timestamp
          field geo?: {field lat: double; field lon: double}

        """)
    #expect(parsed.text(schema.fields[4].type.span) == "double")
    #expect(parsed.text(try #require(schema.fields[5].defaultValue).span) == "true")
  }

  @Test func schemasNameTheEventVariable() throws {
    let yaml = """
      schemas:
        txn:
          amount: double
      rules:
        - id: r
          conditions: {amount: {gt: 1.0}}
          action: block
      """
    let parsed = parseYAML(yaml)
    #expect(parsed.diagnostics.isEmpty, "\(parsed.rendered)")
    guard case .schema(let schema)? = parsed.file?.declarations.first else {
      Issue.record("no schema")
      return
    }
    #expect(schema.name.value == "txn")
    #expect(parsed.rule("r")?.when?.text == "has(txn.amount) && txn.amount > 1.0")
  }

  @Test func listsConditionsRulesAndPolicy() throws {
    let yaml = """
      lists:
        sanctioned_countries: ["KP", "IR", "SY", "CU"]
        mccs: {type: string, values: ["6051", "4829"]}
        blocked_ips: {type: string, file: lists/blocked_ips.txt}
        sdn: {file: ../lists/sdn.csv, format: sdn}
        limits: [1, 2.5, -3]
      conditions:
        is_login: event.type == "login"
        is_sanctioned:
          country_code: {in: sanctioned_countries}
      rules:
        - id: credential_stuffing        # a plain list of rules (no sections)
          name: Credential stuffing
          category: login_security
          tags: [ato]
          when: is_login && !event.success
          action: block
          score: 100
          reason: Many failed logins
      policy:
        review_threshold: 70
        block_threshold: 150
      """
    let parsed = parseYAML(yaml)
    #expect(parsed.diagnostics.isEmpty, "\(parsed.rendered)")
    let dump = try #require(parsed.file.map(RuleFileDump.dump))
    #expect(
      dump == """
        list sanctioned_countries inline=["KP", "IR", "SY", "CU"]
        list mccs type=string inline=["6051", "4829"]
        list blocked_ips type=string file="lists/blocked_ips.txt"
        list sdn file="../lists/sdn.csv" format=sdn
        list limits inline=[1, 2.5, -3]
        condition is_login = (event.type == "login")
        condition is_sanctioned = (has(event.country_code) && (event.country_code in sanctioned_countries))
        rule credential_stuffing
          name="Credential stuffing"
          category=login_security
          tags=["ato"]
          when=(is_login && !event.success)
          action=block
          score=100
          reason="Many failed logins"
        policy
          review_threshold=70
          block_threshold=150

        """)
    guard case .policy(let policy)? = parsed.file?.declarations.last else {
      Issue.record("no policy")
      return
    }
    #expect(parsed.text(try #require(policy.reviewThreshold).span) == "70")
    let rule = try #require(parsed.rule("credential_stuffing"))
    #expect(parsed.text(rule.id.span) == "credential_stuffing")
    #expect(parsed.text(try #require(rule.when).span) == "is_login && !event.success")
  }

  @Test func anchorsAliasesAndMergeKeys() throws {
    let yaml = """
      rules:
        - &base
          id: first
          when: event.amount > 10.0
          action: review
          score: 10
        - <<: *base
          id: second
          score: 20
      """
    let parsed = parseYAML(yaml)
    #expect(parsed.diagnostics.isEmpty, "\(parsed.rendered)")
    #expect(parsed.rules.map(\.id.value) == ["first", "second"])
    #expect(parsed.rules.map { $0.score?.value } == [10, 20])
    #expect(parsed.rule("second")?.action?.value == .review)
    #expect(parsed.rule("second")?.when?.ast.debugString == "(event.amount > 10.0)")
  }

  @Test func emptyFilesAndSections() {
    for yaml in ["", "# only a comment\n", "rules:\n", "rules: []\n", "lists: {}\nconditions:\n"] {
      let parsed = parseYAML(yaml)
      #expect(parsed.diagnostics.isEmpty, "\(yaml.debugDescription): \(parsed.rendered)")
      #expect(parsed.file?.declarations.isEmpty == true)
    }
  }

  @Test func fixturesParseCleanly() throws {
    for name in ["seed.yaml", "reference_subset.yaml", "reference_subset_cel.yaml", "equivalence.yaml"] {
      let source = try yamlFixture(name)
      let (file, diagnostics) = YAMLRuleParser.parse(source)
      #expect(diagnostics.isEmpty, "\(name): \(diagnostics.map { $0.render(in: source) }.joined())")
      #expect(file != nil)
    }
  }

  @Test func referenceSubsetTranslation() throws {
    let source = try yamlFixture("reference_subset.yaml")
    let parsed = ParsedYAML(source: source, file: YAMLRuleParser.parse(source).0, diagnostics: [])
    #expect(parsed.rules.map(\.id.value) == ["sanctioned_region", "high_risk_mcc", "card_country_mismatch"])
    #expect(parsed.rules.map { $0.category?.value } == ["compliance", "fraud", "fraud"])
    #expect(parsed.rules.map { $0.action?.value } == [.block, .score, .score])
    #expect(parsed.rules.map { $0.score?.value } == [100, 15, 20])
    #expect(
      parsed.rules.map { $0.when?.ast.debugString ?? "" } == [
        #"(has(event.country_code) && (event.country_code in ["KP", "IR", "SY", "CU"]))"#,
        #"(has(event.merchant_category) && (event.merchant_category in ["6051", "4829", "7995", "6211"]))"#,
        #"(((has(event.type) && (event.type == "transaction")) && (has(event.card_country) && has(event.country_code))) && (event.card_country != event.country_code))"#,
      ])
  }
}
