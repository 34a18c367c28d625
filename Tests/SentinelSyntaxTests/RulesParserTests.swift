// The rule DSL parser on valid input: every construct and its AST, spans into the file, and
// where embedded CEL text ends.

import SentinelModel
import SentinelSyntax
import Testing

/// Parses `text`, expecting no diagnostics at all.
func parseValid(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> RuleFile? {
  let (file, diagnostics) = parseRules(text)
  #expect(diagnostics.isEmpty, "\(diagnostics.map(\.description))", sourceLocation: sourceLocation)
  return file
}

@Suite("Rules parser")
struct RulesParserTests {
  @Test func schemaWithEveryFieldForm() throws {
    let text = """
      schema event {
        event_id: string
        type: string in ["login", "transaction", "withdrawal"]
        ts: timestamp
        ip?: string
        geo?: { lat: double, lon: double }
        success?: bool = true
        amount?: double required_for ["transaction", withdrawal]
        tags?: list(string)
        attrs?: map(string, int)
        window?: duration
        when_seen?: google.protobuf.Timestamp
        anything?: dyn
      }
      """
    let file = try #require(parseValid(text))
    guard case .schema(let s) = try #require(file.declarations.first) else {
      Issue.record("not a schema")
      return
    }
    #expect(s.name.value == "event")
    #expect(
      s.fields.map(\.name.value) == [
        "event_id", "type", "ts", "ip", "geo", "success", "amount", "tags", "attrs", "window", "when_seen",
        "anything",
      ])
    #expect(
      s.fields.map(\.optional) == [false, false, false, true, true, true, true, true, true, true, true, true])
    func celType(_ f: FieldDecl) -> CELType? {
      if case .cel(let t, _) = f.type { return t }
      return nil
    }
    #expect(celType(s.fields[0]) == .string)
    #expect(celType(s.fields[2]) == .timestamp)
    #expect(celType(s.fields[7]) == .list(.string))
    #expect(celType(s.fields[8]) == .map(.string, .int))
    #expect(celType(s.fields[9]) == .duration)
    #expect(celType(s.fields[10]) == .timestamp)
    #expect(celType(s.fields[11]) == .dyn)
    #expect(s.fields[1].allowedValues?.map(\.text) == ["\"login\"", "\"transaction\"", "\"withdrawal\""])
    #expect(
      s.fields[1].allowedValues?.map { Lit.init(literalValue($0)) } == [
        .string("login"), .string("transaction"), .string("withdrawal"),
      ])
    guard case .object(let nested, let objectSpan) = s.fields[4].type else {
      Issue.record("geo is not an object")
      return
    }
    #expect(nested.map(\.name.value) == ["lat", "lon"])
    #expect(slice(file.source, objectSpan) == "{ lat: double, lon: double }")
    #expect(s.fields[5].defaultValue?.text == "true")
    #expect(s.fields[6].requiredFor?.map(\.value) == ["transaction", "withdrawal"])
    #expect(
      slice(file.source, s.fields[6].span) == "amount?: double required_for [\"transaction\", withdrawal]")
  }

  @Test func listsInlineAndFromFiles() throws {
    let text = """
      list sanctioned_countries = ["KP", "IR", "SY", "CU"]
      list blocked_ips: string from "lists/blocked_ips.txt"
      list sdn from "../lists/sdn.csv" format sdn
      list by_column from 'names.csv' format csv(2, "name")
      list limits: double = [
        100.0,  // small
        2500.5,
      ]
      list empty = []
      """
    let file = try #require(parseValid(text))
    let lists = file.declarations.compactMap { d -> ListDecl? in
      if case .list(let l) = d { return l }
      return nil
    }
    #expect(
      lists.map(\.name.value) == [
        "sanctioned_countries", "blocked_ips", "sdn", "by_column", "limits", "empty",
      ])
    guard case .inline(let countries) = lists[0].contents else {
      Issue.record("not inline")
      return
    }
    #expect(countries.map(\.ast.debugString) == ["\"KP\"", "\"IR\"", "\"SY\"", "\"CU\""])
    guard case .file(let path, let format) = lists[1].contents else {
      Issue.record("not a file")
      return
    }
    #expect(path.value == "lists/blocked_ips.txt")
    #expect(format == nil)
    if case .cel(let t, _)? = lists[1].elementType { #expect(t == .string) } else { Issue.record("no type") }
    if case .file(_, let f) = lists[2].contents { #expect(f?.value == "sdn") } else { Issue.record("sdn") }
    if case .file(_, let f) = lists[3].contents {
      #expect(f?.value == "csv(2, \"name\")")
    } else {
      Issue.record("csv")
    }
    if case .inline(let values) = lists[4].contents { #expect(values.map(\.text) == ["100.0", "2500.5"]) }
    if case .inline(let values) = lists[5].contents { #expect(values.isEmpty) }
    #expect(file.comments.map(\.value) == ["// small"])
  }

  @Test func namedConditions() throws {
    let text = """
      condition is_login = event.type == "login"
      condition big_or_foreign = event.amount > 1000.0
        || event.country_code != "US"   // either
      condition uses_list = event.ip in blocked_ips && list_size(x) > 0
      """
    let file = try #require(parseValid(text))
    let conditions = file.declarations.compactMap { d -> ConditionDecl? in
      if case .condition(let c) = d { return c }
      return nil
    }
    #expect(conditions.map(\.name.value) == ["is_login", "big_or_foreign", "uses_list"])
    #expect(conditions[0].expression.ast.debugString == "(event.type == \"login\")")
    #expect(conditions[1].expression.text == "event.amount > 1000.0\n  || event.country_code != \"US\"")
    #expect(
      conditions[1].expression.ast.debugString
        == "((event.amount > 1000.0) || (event.country_code != \"US\"))")
    #expect(file.comments.map(\.value) == ["// either"])
  }

  @Test func ruleWithEveryField() throws {
    let text = """
      rule sanctioned_region {
        name: "Sanctioned Region Access"
        category: compliance
        tags: [ofac, "geo-ip"]
        enabled: false
        when: event.country_code in sanctioned_countries
        action: block
        score: -15
        reason: 'Access from a sanctioned region'
      }
      """
    let file = try #require(parseValid(text))
    guard case .rule(let r) = try #require(file.declarations.first) else {
      Issue.record("not a rule")
      return
    }
    #expect(r.id.value == "sanctioned_region")
    #expect(r.name?.value == "Sanctioned Region Access")
    #expect(r.category?.value == "compliance")
    #expect(r.tags.map(\.value) == ["ofac", "geo-ip"])
    #expect(r.enabled?.value == false)
    #expect(r.when?.ast.debugString == "(event.country_code in sanctioned_countries)")
    #expect(r.action?.value == .block)
    #expect(r.score?.value == -15)
    #expect(r.reason?.value == "Access from a sanctioned region")
    #expect(slice(file.source, r.id.span) == "sanctioned_region")
    #expect(slice(file.source, r.score?.span ?? .none) == "-15")
    #expect(slice(file.source, r.span).hasPrefix("rule sanctioned_region {"))
    #expect(slice(file.source, r.span).hasSuffix("}"))
  }

  @Test(arguments: RuleAction.allCases) func everyAction(_ action: RuleAction) throws {
    let file = try #require(parseValid("rule r {\n  when: true\n  action: \(action.rawValue)\n}\n"))
    guard case .rule(let r) = try #require(file.declarations.first) else { return }
    #expect(r.action?.value == action)
  }

  @Test func oneLineBlocksWithCommas() throws {
    let text =
      "rule r { when: event.amount > 1.0, action: review, score: 5 }\npolicy { review_threshold: 10, block_threshold: 20 }"
    let file = try #require(parseValid(text))
    guard case .rule(let r) = file.declarations[0], case .policy(let p) = file.declarations[1] else {
      Issue.record("declarations")
      return
    }
    #expect(r.when?.text == "event.amount > 1.0")
    #expect(r.action?.value == .review)
    #expect(r.score?.value == 5)
    #expect(p.reviewThreshold?.value == 10)
    #expect(p.blockThreshold?.value == 20)
  }

  @Test func policyAndScoreOnlyRule() throws {
    let text = """
      rule new_device {
        when: !has(event.device_id)
        score: 30
      }

      policy {
        review_threshold: 70
        block_threshold: 150
      }
      """
    let file = try #require(parseValid(text))
    guard case .rule(let r) = file.declarations[0], case .policy(let p) = file.declarations[1] else { return }
    #expect(r.action == nil)
    #expect(r.score?.value == 30)
    #expect(p.reviewThreshold?.value == 70)
    #expect(p.blockThreshold?.value == 150)
  }

  @Test func emptyAndCommentOnlyFiles() throws {
    let empty = try #require(parseValid(""))
    #expect(empty.declarations.isEmpty)
    let comments = try #require(parseValid("// one\n\n   // two\n"))
    #expect(comments.declarations.isEmpty)
    #expect(comments.comments.map(\.value) == ["// one", "// two"])
  }

  @Test func stringLiteralsUseCELSyntax() throws {
    let text = #"""
      rule r {
        name: "tab\there \"quoted\" \u00e9"
        reason: r'raw \d+'
        when: true
      }
      """#
    let file = try #require(parseValid(text))
    guard case .rule(let r) = file.declarations[0] else { return }
    #expect(r.name?.value == "tab\there \"quoted\" é")
    #expect(r.reason?.value == #"raw \d+"#)
  }
}

@Suite("Rules embedded CEL")
struct RulesEmbeddedCELTests {
  @Test func spansIndexTheFile() throws {
    let text = "rule r {\n  when: event.amount > 1000.0\n}\n"
    let file = try #require(parseValid(text))
    guard case .rule(let r) = file.declarations[0], let w = r.when else { return }
    #expect(w.text == "event.amount > 1000.0")
    #expect(slice(file.source, w.span) == w.text)
    #expect(w.ast.source.name == "test.rules")
    #expect(w.ast.source.text == text)
    #expect(slice(file.source, w.ast.span(of: w.ast.root.id)) == "event.amount > 1000.0")
    guard case .call(_, _, let args) = w.ast.root.kind else {
      Issue.record("not a call")
      return
    }
    #expect(slice(file.source, w.ast.span(of: args[1].id)) == "1000.0")
    #expect(slice(file.source, w.ast.span(of: args[0].id)).hasSuffix("amount"))
  }

  @Test func celErrorRendersAtTheFileLine() throws {
    var lines = (1...11).map { "// line \($0)" }
    lines.append("rule r { when: event.amount >> 5 }")
    let source = Source(name: "fraud.rules", text: lines.joined(separator: "\n") + "\n")
    let (_, diagnostics) = RuleParser.parse(source)
    let d = try #require(diagnostics.first)
    #expect(d.code == SyntaxCode.unexpectedToken)
    let rendered = d.render(in: source)
    #expect(rendered.hasPrefix("fraud.rules:12:30: error[E0001]: "))
    #expect(rendered.contains("12 | rule r { when: event.amount >> 5 }\n"))
    #expect(rendered.contains("   | " + String(repeating: " ", count: 29) + "^\n"))
  }

  @Test func whenEndsBeforeTheNextFieldAfterBlankLinesAndComments() throws {
    let text = """
      rule r {
        when: event.amount > 10.0 // big
          && event.type == "transaction"

        // the action
        action: block
      }
      """
    let file = try #require(parseValid(text))
    guard case .rule(let r) = file.declarations[0] else { return }
    #expect(r.when?.text == "event.amount > 10.0 // big\n    && event.type == \"transaction\"")
    #expect(r.action?.value == .block)
    #expect(file.comments.map(\.value) == ["// the action"])
  }

  @Test func whenOnTheNextLineAndInsideBrackets() throws {
    let text = """
      rule r {
        when:
          event.type in [
            "login",
            "withdrawal",
          ] && size(event.tags) > 0
        score: 10
      }
      """
    let file = try #require(parseValid(text))
    guard case .rule(let r) = file.declarations[0] else { return }
    #expect(
      r.when?.ast.debugString == "((event.type in [\"login\", \"withdrawal\"]) && (size(event.tags) > 0))")
    #expect(r.score?.value == 10)
  }

  @Test func stringsAndCommentsDoNotEndTheExpression() throws {
    let text = #"""
      rule r {
        when: event.note == "action: }, //" || event.ip == '''a
      name: b''' || event.x == r'a\' || event.`y-z` == "}"
        score: 1
      }
      """#
    let file = try #require(parseValid(text))
    guard case .rule(let r) = file.declarations[0] else { return }
    #expect(r.when?.text.hasSuffix("event.`y-z` == \"}\"") == true)
    #expect(r.score?.value == 1)
  }

  @Test func conditionEndsAtTheNextDeclaration() throws {
    let text = """
      condition c = event.amount > 1.0
        || list_like.size() > 0
        || rule_count > 2
      rule r { when: c }
      list l = ["a"]
      """
    let file = try #require(parseValid(text))
    guard case .condition(let c) = file.declarations[0] else { return }
    #expect(
      c.expression.ast.debugString == "(((event.amount > 1.0) || (list_like.size() > 0)) || (rule_count > 2))"
    )
    #expect(file.declarations.count == 3)
  }

  @Test func defaultsAndAllowedValuesAreCEL() throws {
    let text = """
      schema event {
        limit?: double = 10.0 * 2.0
        kind?: string in ["a" + "b", 'c'] = "ab"
        point?: { x: int = 1, y: int }
      }
      """
    let (file, diagnostics) = parseRules(text)
    #expect(diagnostics.map(\.code) == [RuleSyntaxCode.defaultOnRequired])
    guard case .schema(let s)? = file?.declarations.first else { return }
    #expect(s.fields[0].defaultValue?.ast.debugString == "(10.0 * 2.0)")
    #expect(s.fields[1].allowedValues?.map(\.ast.debugString) == ["(\"a\" + \"b\")", "\"c\""])
    #expect(s.fields[1].defaultValue?.text == "\"ab\"")
    guard case .object(let nested, _) = s.fields[2].type else { return }
    #expect(nested[0].defaultValue?.text == "1")
    #expect(nested[1].name.value == "y")
  }
}

/// The literal value of a literal expression.
func literalValue(_ e: EmbeddedExpression) -> Value {
  if case .literal(let v) = e.ast.root.kind { return v }
  return .null
}
