// `Decision.ruleIDs` is kept with the decision (not computed per use): it must follow `matched`,
// from the initializer and through any later change.

import SentinelBytecode
@testable import SentinelRuntime
import Testing

@Suite struct DecisionTests {
  static func rule(_ id: String) -> MatchedRule {
    MatchedRule(id: id, outcome: .review, score: 10, reason: "")
  }

  @Test func ruleIDsFollowMatched() {
    var d = Decision(
      eventID: "e", action: .review, score: 20, matched: [Self.rule("a_rule"), Self.rule("b_rule")],
      errors: [])
    #expect(d.ruleIDs == ["a_rule", "b_rule"])
    d.matched.append(Self.rule("c_rule"))
    #expect(d.ruleIDs == ["a_rule", "b_rule", "c_rule"])
    d.matched = []
    #expect(d.ruleIDs.isEmpty)
    let none = Decision(eventID: "e", action: .allow, score: 0, matched: [], errors: [])
    #expect(none.ruleIDs.isEmpty)
  }
}
