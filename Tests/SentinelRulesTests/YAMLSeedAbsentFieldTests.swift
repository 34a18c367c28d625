// Seed conditions on an absent optional field are false (the seed's rule), not errors: the rule
// does not match, the decision records no error, the compiler warns about nothing, and a negated
// seed condition is true.

import SentinelCompiler
import SentinelModel
import SentinelRuntime
import SentinelSyntax
import SentinelYAML
import Testing

@Suite struct YAMLSeedAbsentFieldTests {
  static let rules = """
    conditions:
      from_kp: {country_code: {in: ["KP"]}}
    rules:
      - id: in_list
        conditions: {country_code: {in: ["KP", "IR"]}}
        action: block
      - id: not_in_list
        conditions: {country_code: {not_in: ["KP"]}}
        action: review
      - id: near_pole
        conditions: {geo.lat: {gt: 80.0}}
        score: 7
      - id: not_from_kp
        when: '!from_kp'
        score: 5
    """

  @Test func absentFieldsMakeConditionsFalse() throws {
    let parsed = parseYAML(Self.rules)
    let file = try #require(parsed.file, "\(parsed.rendered)")
    let (c, diagnostics) = RuleCompiler.compile([file])
    let compilation = try #require(c, "\(diagnostics.map(\.rendered))")
    #expect(diagnostics.isEmpty, "no W0405: \(diagnostics.map(\.rendered))")
    let loaded = try BundleLoader().load(try compilation.bundle.encoded(signedWith: nil))
    let engine = DecisionEngine(
      program: loaded.program, rules: loaded.bundle.rules, policy: loaded.bundle.policy)
    let decoder = EventDecoder(
      schema: loaded.bundle.schema, slotOrder: loaded.bundle.program.variables.map(\.name))
    func decide(_ fields: String) throws -> Decision {
      let e = try decoder.decode(
        #"{"event_id":"e","type":"login","ts":"2026-11-25T10:00:00Z","user_id":"u""# + fields + "}")
      return engine.decide(eventID: e.eventID, slots: e.slots)
    }
    let absent = try decide("")
    #expect(absent.ruleIDs == ["not_from_kp"])
    #expect(absent.errors.isEmpty, "\(absent.errors)")
    let kp = try decide(#","country_code":"KP","geo":{"lat":85.0,"lon":0.0}"#)
    #expect(kp.ruleIDs == ["in_list", "near_pole"])
    let gb = try decide(#","country_code":"GB""#)
    #expect(gb.ruleIDs == ["not_from_kp", "not_in_list"])
    #expect(gb.errors.isEmpty)
  }
}
