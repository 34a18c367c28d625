// The rule compiler: diagnostics with their codes, one program for all rules, bundles that load.

import Foundation
import SentinelBytecode
import SentinelCompiler
import SentinelModel
import SentinelRuntime
import SentinelSyntax
import Testing

/// Compiles one DSL text as a rule set.
func compileDSL(_ text: String, name: String = "test.rules") -> (RuleSetCompilation?, [SourcedDiagnostic]) {
  let source = Source(name: name, text: text)
  let (file, parseDiagnostics) = RuleParser.parse(source)
  guard let file, !parseDiagnostics.hasErrors else {
    return (nil, parseDiagnostics.map { SourcedDiagnostic(source, $0) })
  }
  return RuleCompiler.compile([file])
}

@Suite struct RuleCompilerTests {
  /// Each (rule text, expected diagnostic code) pair.
  static let cases: [(String, String)] = [
    (
      "schema event { a: int }\nschema event { b: int }\nrule r { when: event.a > 1\n score: 1 }",
      RuleCode.duplicateSchema
    ),
    ("list l = [1, 2]\nlist l = [3]\nrule r { when: 1 in l\n score: 1 }", RuleCode.duplicateName),
    ("list l = [event.amount]\nrule r { when: 1.0 in l\n score: 1 }", RuleCode.invalidList),
    ("list l: int = [\"a\"]\nrule r { when: 1 in l\n score: 1 }", RuleCode.invalidList),
    ("list l from \"no-such-file.txt\"\nrule r { when: \"x\" in l\n score: 1 }", RuleCode.unreadableList),
    ("condition a = b\ncondition b = a\nrule r { when: a\n score: 1 }", RuleCode.conditionCycle),
    ("rule r { when: event.user_id\n score: 1 }", RuleCode.notBool),
    (
      "policy { review_threshold: 70 }\npolicy { review_threshold: 50 }\nrule r { when: true\n score: 1 }",
      RuleCode.invalidPolicy
    ),
    (
      "policy { review_threshold: 70\n block_threshold: 10 }\nrule r { when: true\n score: 1 }",
      RuleCode.invalidPolicy
    ),
    ("list unused = [1]\nrule r { when: event.user_id == \"u\"\n score: 1 }", RuleCode.unusedList),
    ("condition unused = true\nrule r { when: event.user_id == \"u\"\n score: 1 }", RuleCode.unusedCondition),
    (
      "rule r { when: event.user_id == \"a\"\n score: 1 }\nrule r { when: event.user_id == \"b\"\n score: 2 }",
      RuleCode.duplicateRuleID
    ),
    ("rule r { when: 1 > 2\n score: 1 }", RuleCode.neverMatches),
    ("rule r { when: event.amount > 10.0\n score: 1 }", RuleCode.unguardedOptional),
    ("rule r { when: event.user_id == \"u\" }", RuleCode.noEffect),
    ("rule r { when: event.nope == 1\n score: 1 }", "E0101"),
    ("rule r { when: has(event.amount) && event.amount + \"x\" > 1.0\n score: 1 }", "E0102"),
  ]

  @Test(arguments: 0..<cases.count)
  func reportsDiagnostic(_ index: Int) {
    let (text, code) = Self.cases[index]
    let (_, diagnostics) = compileDSL(text)
    #expect(
      diagnostics.contains { $0.diagnostic.code == code },
      "expected \(code) for:\n\(text)\ngot: \(diagnostics)")
  }

  @Test func guardedOptionalReadsAreClean() {
    let text = """
      rule a { when: has(event.amount) && event.amount > 10.0
        score: 1 }
      rule b { when: !has(event.ip) || event.ip == "1.2.3.4"
        score: 1 }
      rule c { when: has(event.geo) ? event.geo.lat > 1.0 : false
        score: 1 }
      rule d { when: event.success == false
        score: 1 }
      """
    let (c, diagnostics) = compileDSL(text)
    #expect(c != nil)
    #expect(!diagnostics.contains { $0.diagnostic.code == RuleCode.unguardedOptional }, "\(diagnostics)")
  }

  @Test func diagnosticsPointIntoTheFile() {
    let text = "rule r {\n  when: event.user_id + 1 == 2\n  score: 1\n}\n"
    let (_, diagnostics) = compileDSL(text, name: "x.rules")
    let d = diagnostics.first { $0.diagnostic.code == "E0102" }
    let rendered = d?.rendered ?? ""
    #expect(rendered.hasPrefix("x.rules:2:9: error[E0102]"), "\(rendered)")
    #expect(rendered.contains("2 |   when: event.user_id + 1 == 2"))
    #expect(rendered.contains("  |         ^^^^^^^^^^^^^^^"), "\(rendered)")
  }

  @Test func sharedConditionsAreOneNode() throws {
    let text = """
      rule a { when: event.type == "transaction" && has(event.amount) && event.amount > 100.0
        score: 10 }
      rule b { when: event.type == "transaction" && has(event.amount) && event.amount > 5000.0
        score: 20 }
      """
    let (c, _) = compileDSL(text)
    let ir = try #require(c?.ir)
    // Hash-consing: the type test and the presence test appear once each.
    let equalsNodes = ir.nodes.filter {
      if case .call(_, let args) = $0 { return args.count == 2 } else { return false }
    }
    let presence = ir.nodes.filter { if case .present = $0 { return true } else { return false } }
    #expect(presence.count == 1)
    #expect(equalsNodes.count == 3, "one type test + two comparisons, got \(equalsNodes.count)")
  }

  @Test func compiledBundlesLoadAndDecide() throws {
    let (c, diagnostics) = compileDSL(
      """
      list sanctioned = ["KP", "IR"]
      rule block_kp { when: has(event.country_code) && event.country_code in sanctioned
        action: block
        score: 100 }
      rule big { when: has(event.amount) && event.amount > 1000.0
        score: 40 }
      rule bigger { when: has(event.amount) && event.amount > 5000.0
        score: 40 }
      """)
    let compilation = try #require(c, "\(diagnostics)")
    let bytes = try compilation.bundle.encoded(signedWith: nil)
    let loaded = try BundleLoader().load(bytes)
    let engine = DecisionEngine(
      program: loaded.program, rules: loaded.bundle.rules, policy: loaded.bundle.policy)
    let decoder = EventDecoder(
      schema: loaded.bundle.schema, slotOrder: loaded.bundle.program.variables.map(\.name))
    func decide(_ json: String) throws -> String {
      let e = try decoder.decode(json)
      return engine.decide(eventID: e.eventID, slots: e.slots).jsonLine
    }
    let base = #""event_id":"e","ts":"2026-11-25T10:00:00Z","user_id":"u""#
    #expect(
      try decide("{\(base),\"type\":\"login\",\"country_code\":\"KP\"}")
        == #"{"event_id":"e","action":"block","score":100,"rules":["block_kp"]}"#)
    #expect(
      try decide("{\(base),\"type\":\"transaction\",\"amount\":6000}")
        == #"{"event_id":"e","action":"review","score":80,"rules":["big","bigger"]}"#)
    #expect(
      try decide("{\(base),\"type\":\"transaction\",\"amount\":2000}")
        == #"{"event_id":"e","action":"allow","score":40,"rules":["big"]}"#)
  }
}
